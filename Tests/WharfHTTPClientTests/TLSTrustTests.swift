import Foundation
import Testing
import WharfHTTP
@testable import WharfHTTPClient

/// Extra trusted CAs against Wharf's TLS server whose certificate comes from a private CA.
@Suite("HTTPClient TLS trust")
struct TLSTrustTests {
    func get(_ port: Int, trust: HTTPClientTrust, host: String = "127.0.0.1") async throws -> (Int, String) {
        var config = HTTPClientConfiguration()
        config.trust = trust
        config.retry = .never
        let client = try HTTPClient(configuration: config)
        let response = try await client.execute(HTTPClientRequest(method: "GET", url: "https://\(host):\(port)/x"))
        return (response.status, String(decoding: try await response.body.collect(upTo: 1 << 20), as: UTF8.self))
    }

    @Test func perHostCAFileNamedHostDotDotPortIsTrusted() async throws {
        let server = try TLSTestServer()
        let dir = TestCertificates.caDirectory()
        try FileManager.default.copyItem(atPath: TestCertificates.caPath, toPath: dir.appendingPathComponent("127.0.0.1..\(server.port)").path)
        let (status, body) = try await get(server.port, trust: HTTPClientTrust(caDirectory: dir.path))
        #expect(status == 200)
        #expect(body == "hello /x")
        await server.stop()
    }

    @Test func perHostCAFileNamedHostIsTrusted() async throws {
        let server = try TLSTestServer()
        let dir = TestCertificates.caDirectory()
        try FileManager.default.copyItem(atPath: TestCertificates.caPath, toPath: dir.appendingPathComponent("localhost").path)
        let (status, _) = try await get(server.port, trust: HTTPClientTrust(caDirectory: dir.path), host: "localhost")
        #expect(status == 200)
        await server.stop()
    }

    @Test func refusedWithoutTheCAFileOrWithAnotherPortsFile() async throws {
        let server = try TLSTestServer()
        let dir = TestCertificates.caDirectory()
        await #expect { try await get(server.port, trust: HTTPClientTrust(caDirectory: dir.path)) } throws: { error in
            (error as? HTTPClientError)?.kind == .tls && (error as? HTTPClientError)?.host == "127.0.0.1:\(server.port)"
        }
        // A file for the same host on another port does not apply.
        try FileManager.default.copyItem(atPath: TestCertificates.caPath, toPath: dir.appendingPathComponent("127.0.0.1..\(server.port + 1)").path)
        await #expect { try await get(server.port, trust: HTTPClientTrust(caDirectory: dir.path)) } throws: { error in
            (error as? HTTPClientError)?.kind == .tls
        }
        await server.stop()
    }

    @Test func bundleFileIsTrustedForEveryHost() async throws {
        let server = try TLSTestServer()
        let (status, body) = try await get(server.port, trust: HTTPClientTrust(caBundlePath: TestCertificates.caPath))
        #expect(status == 200)
        #expect(body == "hello /x")
        await server.stop()
    }

    @Test func hostNameIsVerified() async throws {
        // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (same server, same CA).
        let server = try TLSTestServer(host: "")
        await #expect { try await get(server.port, trust: HTTPClientTrust(caBundlePath: TestCertificates.caPath), host: "127.0.0.2") } throws: { error in
            (error as? HTTPClientError)?.kind == .tls
        }
        await server.stop()
    }

    @Test func insecureSkipVerifyAcceptsAnUntrustedCertificate() async throws {
        let server = try TLSTestServer()
        let (status, _) = try await get(server.port, trust: HTTPClientTrust(insecureSkipVerify: true))
        #expect(status == 200)
        await server.stop()
    }

    @Test func unreadableBundleIsAConfigurationError() throws {
        var config = HTTPClientConfiguration()
        config.trust = HTTPClientTrust(caBundlePath: "/nonexistent/ca.pem")
        #expect(throws: HTTPClientError.self) { try HTTPClient(configuration: config) }
    }
}
