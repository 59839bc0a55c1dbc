import Foundation

/// A throwaway certificate authority made with the `openssl` CLI, and one server
/// certificate it signed for `localhost` and 127.0.0.1 (EC P-256, valid two days).
/// TLS tests point servers at `serverCertificatePath`/`serverKeyPath` and clients at `caPath`.
public struct TestCertificateAuthority {
    public let directory: ScratchDirectory
    public var caPath: String { directory.appending("ca.pem").path }
    public var serverCertificatePath: String { directory.appending("server.pem").path }
    public var serverKeyPath: String { directory.appending("server.key").path }

    /// Generates the CA and the server certificate in a new scratch directory (the caller removes it).
    public init(prefix: String = "wharf-tls") throws {
        directory = try ScratchDirectory(prefix: prefix)
        let script = """
        set -e
        cd '\(directory.path)'
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=WharfTestCA 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
        """
        let r = try ProcessLauncher.shell(script, timeout: 60)
        guard r.status == 0 else { throw ProcessLaunchError("openssl failed (\(r.status)): \(r.stderrText)") }
    }
}
