#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL
import Foundation

/// One socket, plain or TLS.
final class S3Connection: @unchecked Sendable {
    private var fd: Int32
    private var ssl: OpaquePointer?

    init(fd: Int32, tls: OpaquePointer?, host: String) throws {
        self.fd = fd
        guard let tls else { return }
        guard let s = SSL_new(tls) else {
            Glibc.close(fd)
            throw S3Error(status: 0, code: "TLSFailure", message: "SSL_new failed")
        }
        ssl = s
        SSL_set_fd(s, fd)
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host)   // an IP endpoint: match IP SANs, no SNI
        } else {
            _ = wharf_SSL_set_tlsext_host_name(s, host)
            SSL_set1_host(s, host)
        }
        if SSL_connect(s) != 1 {
            let verify = SSL_get_verify_result(s)
            let reason = verify != X509_V_OK ? String(cString: X509_verify_cert_error_string(verify)) : Self.lastError()
            close()
            throw S3Error(status: 0, code: "TLSFailure", message: "TLS handshake with \(host): \(reason)")
        }
    }

    static func lastError() -> String {
        let e = ERR_get_error()
        guard e != 0 else { return "connection closed" }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(e, &buf, buf.count)
        return String(cString: buf)
    }

    func close() {
        if let ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Wakes a read blocked on this socket from another thread (it then sees end of stream);
    /// the descriptor stays open until ``close()``.
    func shutdown() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    func writeAll(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n: Int
                if let ssl {
                    n = Int(SSL_write(ssl, raw.baseAddress! + offset, Int32(min(raw.count - offset, 1 << 20))))
                } else {
                    n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 {
                    if n < 0, ssl == nil, errno == EINTR { continue }
                    let e = errno
                    throw S3Error(status: 0, code: offset == 0 && (e == EPIPE || e == ECONNRESET) ? "StaleConnection" : Self.errnoCode(e),
                                  message: "send: \(String(cString: strerror(e)))")
                }
                offset += n
            }
        }
    }

    /// Reads up to `count` bytes; 0 at end of stream.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n: Int
            if let ssl {
                n = Int(SSL_read(ssl, buffer, Int32(count)))
                if n <= 0 {
                    let err = SSL_get_error(ssl, Int32(n))
                    if err == SSL_ERROR_ZERO_RETURN { return 0 }
                    if err == SSL_ERROR_SYSCALL && errno == 0 { return 0 }
                    throw S3Error(status: 0, code: Self.errnoCode(errno), message: "TLS read: \(Self.lastError())")
                }
            } else {
                n = recv(fd, buffer, count, 0)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw S3Error(status: 0, code: Self.errnoCode(errno), message: "recv: \(String(cString: strerror(errno)))")
                }
            }
            return n
        }
    }

    static func errnoCode(_ e: Int32) -> String {
        switch e {
        case EAGAIN, ETIMEDOUT: return "Timeout"
        case ECONNRESET, EPIPE: return "ConnectionReset"
        case ECONNREFUSED: return "ConnectionRefused"
        default: return "SocketError"
        }
    }
}
