import Foundation
import WharfHTTP

enum HTTPHeadersBuilder {
    static func make(_ d: [String: String]) -> HTTPHeaders {
        var h = HTTPHeaders()
        for (k, v) in d.sorted(by: { $0.key < $1.key }) { h.set(k, v) }
        return h
    }
}

enum HTTPRequestFactory {
    static func make(_ method: String, _ target: String, _ headers: HTTPHeaders, _ body: Data?) -> HTTPRequest {
        HTTPRequest(method: method, target: target, headers: headers, body: body.map { RequestBody(data: $0) } ?? .empty)
    }
}

/// A response with a file or in-memory body read out synchronously (no streams).
struct HTTPResponseSnapshot {
    let status: Int
    let headers: HTTPHeaders
    let bytes: Data
    let isFile: Bool

    init(_ r: HTTPResponse) async throws {
        status = r.status
        headers = r.headers
        switch r.body {
        case .bytes(let d): bytes = d; isFile = false
        case .file(let region):
            var buf = [UInt8](repeating: 0, count: Int(region.length))
            let n = pread(region.descriptor, &buf, buf.count, off_t(region.offset))
            bytes = Data(buf.prefix(max(0, n)))
            isFile = true
        case .stream(_, let producer):
            let w = CollectingWriter()
            try await producer(w)
            bytes = w.data
            isFile = false
        case .empty: bytes = Data(); isFile = false
        }
    }
}
