import Foundation
import WharfAPI
import XCTest
import WharfCrypto
import WharfHTTP
import WharfStorage
@testable import WharfRegistry

/// A request body delivered in the given chunks; optionally failing like a dropped
/// connection after them.
final class ChunkedBodySource: RequestBodySource, @unchecked Sendable {
    private var chunks: [Data]
    private let failAtEnd: Bool

    init(_ chunks: [Data], failAtEnd: Bool = false) {
        self.chunks = chunks.filter { !$0.isEmpty }
        self.failAtEnd = failAtEnd
    }

    func next() async throws -> Data? {
        if chunks.isEmpty {
            if failAtEnd { throw RequestBodyError.truncated }
            return nil
        }
        return chunks.removeFirst()
    }
}

/// Collects a streamed response body.
final class CollectingWriter: BodyWriter, @unchecked Sendable {
    var data = Data()
    func write(_ d: Data) async throws { data.append(d) }
}

/// A response with its body read into memory.
struct TestResponse {
    let status: Int
    let headers: HTTPHeaders
    let body: Data
    let declaredLength: Int64?

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    /// The first error's code, from the OCI error JSON.
    var errorCode: String? { ((json?["errors"] as? [[String: Any]])?.first?["code"]) as? String }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A registry on an in-memory driver, driven by calling its handler directly.
struct TestRegistry {
    static let secret = Array("test-secret-shared-by-replicas".utf8)

    let driver: InMemoryDriver
    let registry: Registry

    init(driver: InMemoryDriver = InMemoryDriver(), _ configure: (inout RegistryOptions) -> Void = { _ in }) {
        var options = RegistryOptions()
        options.httpSecret = Self.secret
        options.host = "http://registry.test"
        configure(&options)
        self.driver = driver
        registry = Registry(options: options, driver: driver, logger: Logger(level: .error, fd: 2))
    }

    func send(_ method: String, _ target: String, headers: [String: String] = [:], body: Data? = nil,
              chunks: [Data]? = nil, failAtEnd: Bool = false, declaredLength: Int64? = nil) async throws -> TestResponse {
        var h = HTTPHeaders()
        h.add("Host", "registry.test")
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { h.set(k, v) }
        let requestBody: RequestBody
        if let chunks {
            requestBody = RequestBody(source: ChunkedBodySource(chunks, failAtEnd: failAtEnd), declaredLength: declaredLength)
        } else if let body {
            requestBody = RequestBody(data: body)
        } else {
            requestBody = .empty
        }
        let request = HTTPRequest(method: method, target: target, headers: h, body: requestBody)
        let response = try await registry.handler(request)
        var data = Data()
        switch response.body {
        case .empty: break
        case .bytes(let d): data = d
        case .stream(_, let producer):
            let w = CollectingWriter()
            try await producer(w)
            data = w.data
        case .file(let region):
            var buf = [UInt8](repeating: 0, count: Int(region.length))
            let n = pread(region.descriptor, &buf, buf.count, off_t(region.offset))
            data = Data(buf.prefix(max(0, n)))
        }
        return TestResponse(status: response.status, headers: response.headers, body: data, declaredLength: response.body.knownLength)
    }

    /// Pushes `data` as a blob of `name` with a monolithic POST; returns its digest.
    @discardableResult
    func pushBlob(_ name: String, _ data: Data) async throws -> String {
        let digest = Self.digest(data)
        let r = try await send("POST", "/v2/\(name)/blobs/uploads/?digest=\(digest)", body: data)
        XCTAssertEqual(r.status, 201, r.text)
        return digest
    }

    /// Pushes a config and one layer, then an image manifest of `mediaType` under `reference`.
    @discardableResult
    func pushImage(_ name: String, _ reference: String, mediaType: String = MediaTypes.ociManifest,
                   layer: String = "layer-bytes", extra: [String: Any] = [:]) async throws -> (digest: String, data: Data) {
        let configType = mediaType == MediaTypes.dockerManifest ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json"
        let layerType = mediaType == MediaTypes.dockerManifest ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.oci.image.layer.v1.tar+gzip"
        let config = Data("{\"architecture\":\"amd64\",\"os\":\"linux\",\"layer\":\"\(layer)\"}".utf8)
        let layerData = Data(layer.utf8)
        let c = try await pushBlob(name, config)
        let l = try await pushBlob(name, layerData)
        var manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": mediaType,
            "config": ["mediaType": configType, "digest": c, "size": config.count],
            "layers": [["mediaType": layerType, "digest": l, "size": layerData.count]],
        ]
        for (k, v) in extra { manifest[k] = v }
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        let r = try await send("PUT", "/v2/\(name)/manifests/\(reference)", headers: ["Content-Type": mediaType], body: data)
        XCTAssertEqual(r.status, 201, r.text)
        return (Self.digest(data), data)
    }

    /// Every file path in the driver, sorted.
    func files(under root: String = "/") async throws -> [String] {
        var out: [String] = []
        try await driver.walk(root) { info in
            if !info.isDirectory { out.append(info.path) }
            return .continue
        }
        return out.sorted()
    }

    static func digest(_ data: Data) -> String { "sha256:" + DigestHasher.hex(data) }

    /// The path and query of an absolute `Location`.
    static func pathAndQuery(_ location: String?) -> String {
        guard let location else { return "" }
        if location.hasPrefix("/") { return location }
        guard let schemeEnd = location.range(of: "://"),
              let slash = location[schemeEnd.upperBound...].firstIndex(of: "/") else { return location }
        return String(location[slash...])
    }
}
