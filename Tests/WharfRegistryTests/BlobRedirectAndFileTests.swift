import WharfAPI
import XCTest
import WharfStorage
@testable import WharfRegistry

/// An in-memory driver that also offers redirect URLs and local files, like cloud and
/// filesystem drivers do.
final class CapableDriver: ForwardingDriver, LocalFileAccess, @unchecked Sendable {
    let inner = InMemoryDriver()
    let redirects: Bool
    let localFiles: Bool
    var name: String { "capable" }

    init(redirects: Bool, localFiles: Bool) {
        self.redirects = redirects
        self.localFiles = localFiles
    }


    func redirectURL(_ path: String, method: String) async throws -> String? {
        redirects ? "https://bucket.example\(path)?signature=x" : nil
    }

    /// Copies the content to a temporary file and hands out its descriptor.
    func openLocalFile(_ path: String) throws -> (descriptor: Int32, size: Int64)? {
        guard localFiles else { return nil }
        let semaphore = DispatchSemaphore(value: 0)
        var content: Data?
        Task { content = try? await self.inner.getContent(path); semaphore.signal() }
        semaphore.wait()
        guard let content else { throw StorageError.pathNotFound(path) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-test-\(UUID().uuidString)")
        try content.write(to: file)
        let fd = open(file.path, O_RDONLY)
        unlink(file.path)
        return (fd, Int64(content.count))
    }
}

final class BlobRedirectAndFileTests: XCTestCase {
    let blob = Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    func registry(_ driver: CapableDriver, _ configure: (inout RegistryOptions) -> Void = { _ in }) -> Registry {
        var options = RegistryOptions()
        options.httpSecret = TestRegistry.secret
        configure(&options)
        return Registry(options: options, driver: driver, logger: .init(level: .error))
    }

    func send(_ r: Registry, _ method: String, _ target: String, headers: [String: String] = [:], body: Data? = nil) async throws -> HTTPResponseSnapshot {
        var h = HTTPHeadersBuilder.make(headers)
        h.add("Host", "r.test")
        let request = HTTPRequestFactory.make(method, target, h, body)
        let response = try await r.handler(request)
        return try await HTTPResponseSnapshot(response)
    }

    func testRedirectUnlessDisabled() async throws {
        let driver = CapableDriver(redirects: true, localFiles: false)
        let digest = TestRegistry.digest(blob)
        let r = registry(driver)
        let push = try await send(r, "POST", "/v2/app/blobs/uploads/?digest=\(digest)", body: blob)
        XCTAssertEqual(push.status, 201)
        let get = try await send(r, "GET", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(get.status, 307)
        XCTAssertTrue(get.headers["Location"]?.hasPrefix("https://bucket.example/docker/registry/v2/blobs/sha256/") ?? false)
        XCTAssertEqual(get.headers["Docker-Content-Digest"], digest)
        // HEAD is answered locally.
        let head = try await send(r, "HEAD", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(head.status, 200)
        let direct = registry(driver) { $0.redirectDisabled = true }
        let served = try await send(direct, "GET", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(served.status, 200)
        XCTAssertEqual(served.bytes, blob)
    }

    func testLocalFileRegionWithRange() async throws {
        let driver = CapableDriver(redirects: false, localFiles: true)
        let digest = TestRegistry.digest(blob)
        let r = registry(driver)
        _ = try await send(r, "POST", "/v2/app/blobs/uploads/?digest=\(digest)", body: blob)
        let whole = try await send(r, "GET", "/v2/app/blobs/\(digest)")
        XCTAssertTrue(whole.isFile)
        XCTAssertEqual(whole.bytes, blob)
        let part = try await send(r, "GET", "/v2/app/blobs/\(digest)", headers: ["Range": "bytes=100-149"])
        XCTAssertEqual(part.status, 206)
        XCTAssertTrue(part.isFile)
        XCTAssertEqual(part.bytes, blob[100..<150])
    }
}
