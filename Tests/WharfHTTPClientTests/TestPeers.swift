import Foundation
import WharfHTTP
import WharfHTTPClient
import WharfTestSupport

/// A private CA and a server certificate for 127.0.0.1 and localhost, made once per test
/// process (WharfTestSupport's ``TestCertificateAuthority``).
enum TestCertificates {
    static let authority: TestCertificateAuthority = {
        do { return try TestCertificateAuthority(prefix: "wharf-client-tls") } catch { fatalError("\(error)") }
    }()

    static var caPath: String { authority.caPath }
    static var certificatePath: String { authority.serverCertificatePath }
    static var keyPath: String { authority.serverKeyPath }

    /// A fresh, empty directory for per-host CA files.
    static func caDirectory() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-client-ca-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Wharf's own HTTP server over TLS with the test CA's certificate, answering `hello`.
final class TLSTestServer: @unchecked Sendable {
    let server: HTTPServer
    var port: Int { server.localPort }

    /// Listens on 127.0.0.1, or on every address when `host` is empty.
    init(host: String = "127.0.0.1") throws {
        let tls = TLSConfiguration(certificatePath: TestCertificates.certificatePath, keyPath: TestCertificates.keyPath)
        server = HTTPServer(configuration: HTTPServerConfiguration(host: host, port: 0, tls: tls),
                            logger: Logger(level: .error)) { request in .text(200, "hello \(request.path)") }
        try server.start()
    }

    func stop() async { await server.shutdown(gracePeriod: 0) }
}

/// Debian's tinyproxy on a loopback port with a config of our own; its log shows each
/// request it relayed (`CONNECT host:port` for tunnels, the absolute URL for plain HTTP).
final class TinyProxy: @unchecked Sendable {
    let port: Int
    let logPath: String
    private let process = Process()

    init(basicAuth: (String, String)? = nil) throws {
        port = try LoopbackServer.freePort()
        let dir = TestCertificates.caDirectory()
        logPath = dir.appendingPathComponent("tinyproxy.log").path
        var config = """
        Port \(port)
        Listen 127.0.0.1
        Timeout 30
        LogFile "\(logPath)"
        LogLevel Info
        MaxClients 20
        Allow 127.0.0.1
        DisableViaHeader Yes

        """
        if getuid() == 0 { config += "User nobody\nGroup nogroup\n" }
        if let (user, password) = basicAuth { config += "BasicAuth \(user) \(password)\n" }
        let confPath = dir.appendingPathComponent("tinyproxy.conf").path
        try config.write(toFile: confPath, atomically: true, encoding: .utf8)
        chmod(dir.path, 0o777)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        chmod(logPath, 0o666)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tinyproxy")
        process.arguments = ["-d", "-c", confPath]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when it accepts connections.
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(port).bigEndian
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
            close(fd)
            if ok { return }
            usleep(50_000)
        }
        throw POSIXError(.ECONNREFUSED)
    }

    /// The log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        // tinyproxy lingers on SIGTERM; the log is written already.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
