import Foundation
import WharfCrypto
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// TLS with a throwaway CA made by the `openssl` CLI; curl verifies against it.
final class TLSTests: XCTestCase {
    static var authority: TestCertificateAuthority!

    override class func setUp() {
        super.setUp()
        authority = try? TestCertificateAuthority()
    }

    override class func tearDown() {
        authority?.directory.remove()
        super.tearDown()
    }

    var caPath: String { Self.authority.caPath }

    func makeServer(minimumVersion: String = "tls1.2", limits: HTTPLimits = HTTPLimits()) throws -> TestServer {
        let tls = TLSConfiguration(certificatePath: Self.authority.serverCertificatePath,
                                   keyPath: Self.authority.serverKeyPath,
                                   minimumVersion: minimumVersion)
        return try TestServer(limits: limits, tls: tls)
    }

    func testCurlOverTLSWithALPN() async throws {
        let ts = try makeServer()
        let url = "https://127.0.0.1:\(ts.port)"
        let (status, out, err) = try runCurl(["-v", "--http1.1", "--cacert", caPath, "\(url)/hello", "\(url)/hello"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "hello\nhello\n")
        XCTAssertTrue(err.contains("ALPN: server accepted http/1.1") || err.contains("ALPN, server accepted to use http/1.1"), err)
        await ts.stop()
    }

    func testPlainHTTPOnTheTLSPortGets400() async throws {
        let ts = try makeServer()
        let (status, out, err) = try runCurl(["-s", "-i", "http://127.0.0.1:\(ts.port)/hello"])
        XCTAssertEqual(status, 0, err)
        let text = String(decoding: out, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\nclient sent an HTTP request to an HTTPS server\n"), text)
        // TLS still works on the same port afterwards.
        let (tlsStatus, tlsOut, tlsErr) = try runCurl(["--cacert", caPath, "https://127.0.0.1:\(ts.port)/hello"])
        XCTAssertEqual(tlsStatus, 0, tlsErr)
        XCTAssertEqual(String(decoding: tlsOut, as: UTF8.self), "hello\n")
        await ts.stop()
    }

    func testUploadHashStreamAndFileOverTLS() async throws {
        let ts = try makeServer()
        let url = "https://127.0.0.1:\(ts.port)"
        let payload = GeneratedContent.bytes(3_000_000)
        let file = try makeScratchFile(payload, prefix: "tls-up")
        var (status, out, err) = try runCurl(["--cacert", caPath, "--data-binary", "@\(file.path)", "\(url)/hash"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "3000000 \(DigestHasher.hex(payload))")
        (status, out, err) = try runCurl(["--cacert", caPath, "\(url)/stream?n=2500000"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out, GeneratedContent.bytes(2_500_000))
        (status, out, err) = try runCurl(["--cacert", caPath, "\(url)/file"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out, ts.fileContents)
        await ts.stop()
    }

    func testMinimumVersionTLS13RefusesTLS12() async throws {
        let ts = try makeServer(minimumVersion: "tls1.3")
        let url = "https://127.0.0.1:\(ts.port)/hello"
        let (bad, _, _) = try runCurl(["--cacert", caPath, "--tls-max", "1.2", url])
        XCTAssertNotEqual(bad, 0)
        let (good, out, err) = try runCurl(["--cacert", caPath, "--tlsv1.3", url])
        XCTAssertEqual(good, 0, err)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "hello\n")
        await ts.stop()
    }

    func testUnreadableCertificateFailsStart() throws {
        let tls = TLSConfiguration(certificatePath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem")
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, tls: tls),
                                logger: Logger(level: .error), handler: { _ in .text(200, "") })
        XCTAssertThrowsError(try server.start()) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/cert.pem"), "\(error)")
        }
        // A key that does not match the certificate.
        let mismatched = TLSConfiguration(certificatePath: caPath, keyPath: Self.authority.serverKeyPath)
        let s2 = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, tls: mismatched),
                            logger: Logger(level: .error), handler: { _ in .text(200, "") })
        XCTAssertThrowsError(try s2.start())
    }

    func testStalledHandshakeTimesOut() async throws {
        var limits = HTTPLimits()
        limits.headerTimeout = 0.3
        let ts = try makeServer(limits: limits)
        let c = try RawClient(port: ts.port)
        let start = Date()
        XCTAssertTrue(c.isClosedByPeer())
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        // Plain HTTP on the TLS port is refused without a crash.
        let p = try RawClient(port: ts.port)
        p.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(p.isClosedByPeer())
        await ts.stop()
    }
}
