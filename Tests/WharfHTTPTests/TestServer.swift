import Foundation
import WharfCrypto
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// Counters the test handlers update, read by tests to check what the server side saw.
final class ServerObservations: @unchecked Sendable {
    private let lock = NSLock()
    private var _bytesHashed: Int64 = 0
    private var _lastDigest = ""
    private var _handled = 0
    var bytesHashed: Int64 { lock.withLock { _bytesHashed } }
    var lastDigest: String { lock.withLock { _lastDigest } }
    var handled: Int { lock.withLock { _handled } }
    func recordHash(_ n: Int64, _ digest: String) { lock.withLock { _bytesHashed = n; _lastDigest = digest } }
    func recordHandled() { lock.withLock { _handled += 1 } }
    private var _outcomes: [(method: String, target: String, outcome: ResponseOutcome)] = []
    /// How each response ended, as the server reported it, in the order they ended.
    var outcomes: [(method: String, target: String, outcome: ResponseOutcome)] { lock.withLock { _outcomes } }
    func recordOutcome(_ request: HTTPRequest, _ outcome: ResponseOutcome) {
        lock.withLock { _outcomes.append((request.method, request.target, outcome)) }
    }
}

/// An in-process server on 127.0.0.1 with the handlers the tests talk to.
final class TestServer {
    let server: HTTPServer
    let observations = ServerObservations()
    let fileURL: URL
    let fileContents: Data
    private let scratch: ScratchDirectory
    var port: Int { server.localPort }

    init(limits: HTTPLimits = HTTPLimits(), tls: TLSConfiguration? = nil, host: String = "127.0.0.1",
         http2: HTTP2Configuration = HTTP2Configuration()) throws {
        var contents = Data(count: 300_000)
        for i in 0..<contents.count { contents[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        fileContents = contents
        scratch = try ScratchDirectory(prefix: "wharf-http-test")
        fileURL = try scratch.file("file", contents: contents)
        let router = Self.makeRouter(observations: observations, fileURL: fileURL)
        let logger = Logger(level: ProcessInfo.processInfo.environment["WHARF_TEST_LOG"] != nil ? .trace : .error)
        var configuration = HTTPServerConfiguration(host: host, port: 0, tls: tls, limits: limits)
        configuration.http2 = http2
        let observations = self.observations
        server = HTTPServer(configuration: configuration, logger: logger) { request in
            request.onResponseFinished { observations.recordOutcome(request, $0) }
            return try await router.handle(request)
        }
        try server.start()
    }

    func stop() async {
        await server.shutdown(gracePeriod: 2)
        scratch.remove()
    }

    static func makeRouter(observations: ServerObservations, fileURL: URL) -> Router {
        let router = Router()
        router.add("POST", "/echo") { req in
            observations.recordHandled()
            let body = try await req.body.collect(upTo: 64 << 20)
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: .bytes(body))
        }
        router.add("PUT", "/echo") { req in
            let body = try await req.body.collect(upTo: 64 << 20)
            return HTTPResponse(status: 200, body: .bytes(body))
        }
        let hash: HTTPHandler = { req in
            let hasher = DigestHasher()
            var n: Int64 = 0
            while let chunk = try await req.body.next() {
                hasher.update(chunk)
                n += Int64(chunk.count)
            }
            let hex = hasher.finalizeHex()
            observations.recordHash(n, hex)
            return .text(200, "\(n) \(hex)")
        }
        router.add("POST", "/hash", hash)
        router.add("PUT", "/hash", hash)
        router.add("POST", "/limited", maxBodySize: 1000, hash)
        router.add("POST", "/slow") { req in
            var n = 0
            while let chunk = try await req.body.next() {
                n += chunk.count
                try await Task.sleep(nanoseconds: 2_000_000)
            }
            return .text(200, "\(n)")
        }
        router.add("POST", "/echo-stream") { req in
            HTTPResponse(status: 200, body: .stream(length: nil) { writer in
                while let chunk = try await req.body.next() { try await writer.write(chunk) }
            })
        }
        router.add("POST", "/early401") { _ in
            .text(401, "unauthorized\n")
        }
        router.add("PUT", "/early401") { _ in .text(401, "unauthorized\n") }
        router.add("GET", "/hello") { _ in
            observations.recordHandled()
            return .text(200, "hello\n")
        }
        router.add("GET", "/path/{id}") { req in
            .text(200, "id=\(req.pathParameters["id"] ?? "")")
        }
        router.add("GET", "/stream") { req in
            let n = Int(req.queryValue("n") ?? "0") ?? 0
            let sized = req.queryValue("sized") == "1"
            // `fail=K`: the producer throws after K bytes (a storage read failing mid-body).
            let failAfter = req.queryValue("fail").flatMap { Int($0) }
            return HTTPResponse(status: 200, body: .stream(length: sized ? Int64(n) : nil) { writer in
                var sent = 0
                while sent < n {
                    if let failAfter, sent >= failAfter { throw CancellationError() }
                    let piece = min(64 * 1024, n - sent)
                    try await writer.write(GeneratedContent.bytes(piece, offset: sent))
                    sent += piece
                }
            })
        }
        router.add("GET", "/file") { req in
            let fd = open(fileURL.path, O_RDONLY)
            guard fd >= 0 else { return .text(500, "open failed") }
            let offset = Int64(req.queryValue("offset") ?? "0") ?? 0
            let length = Int64(req.queryValue("length") ?? "300000") ?? 300_000
            return HTTPResponse(status: 200, body: .file(FileRegion(descriptor: fd, offset: offset, length: length)))
        }
        router.add("GET", "/error") { _ in
            struct Boom: Error {}
            throw Boom()
        }
        router.add("GET", "/sleep") { req in
            let ms = UInt64(req.queryValue("ms") ?? "100") ?? 100
            try? await Task.sleep(nanoseconds: ms * 1_000_000)
            return .text(200, "slept \(ms)")
        }
        router.add("GET", "/nocontent") { _ in HTTPResponse(status: 204) }
        router.add("GET", "/notmodified") { _ in HTTPResponse(status: 304, headers: ["ETag": "\"x\""]) }
        router.add("GET", "/blob") { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: .bytes(Data(repeating: 65, count: 1234)))
        }
        router.add("GET", "/headsize") { _ in
            HTTPResponse(status: 200, headers: ["Content-Length": "999"])
        }
        router.add("GET", "/headers") { req in
            .text(200, req.headers.fields.map { "\($0.name)=\($0.value)" }.joined(separator: "\n"))
        }
        return router
    }
}
