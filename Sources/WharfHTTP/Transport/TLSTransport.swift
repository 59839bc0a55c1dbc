import COpenSSL
import Foundation

/// TLS over a non-blocking socket: SSL_read/SSL_write driven by
/// the event loop, honouring WANT_READ/WANT_WRITE in both directions.
package final class TLSTransport: Transport {
    package let descriptor: Int32
    package var isTLS: Bool { true }
    private let ssl: OpaquePointer
    /// Keeps the SSL_CTX the session was made from alive (a ``TLSContext`` or a client's).
    private let context: AnyObject
    /// Bytes read from a file but not yet accepted by SSL_write (they must be offered again).
    private var fileChunk: [UInt8] = []
    private var fileChunkOffset: Int64 = -1
    private var fileChunkSent = 0
    private var scratch: [UInt8] = []
    /// Server sessions look at the first byte once, to answer plain HTTP sent to this port.
    private var checksFirstByte = false

    init?(descriptor: Int32, context: TLSContext) {
        guard let s = SSL_new(context.context) else { return nil }
        self.descriptor = descriptor
        self.context = context
        ssl = s
        SSL_set_fd(s, descriptor)
        SSL_set_accept_state(s)
        checksFirstByte = true
    }

    /// A client session over a connected socket, made from `sslContext` (kept alive by
    /// `owner`). A DNS `serverName` is sent as SNI and checked against the certificate's
    /// names; an IP address is checked against its IP SANs (no SNI for addresses).
    package init?(descriptor: Int32, sslContext: OpaquePointer, owner: AnyObject, serverName: String) {
        guard let s = SSL_new(sslContext) else { return nil }
        self.descriptor = descriptor
        self.context = owner
        ssl = s
        SSL_set_fd(s, descriptor)
        SSL_set_connect_state(s)
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, serverName, &v4) == 1 || inet_pton(AF_INET6, serverName, &v6) == 1 {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), serverName)
        } else {
            _ = wharf_SSL_set_tlsext_host_name(s, serverName)
            SSL_set1_host(s, serverName)
        }
    }

    /// Why the peer's certificate was refused, or nil when it was not (after a handshake).
    package var verificationFailure: String? {
        let result = SSL_get_verify_result(ssl)
        return result == X509_V_OK ? nil : String(cString: X509_verify_cert_error_string(result))
    }

    deinit { SSL_free(ssl) }

    package var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var len: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &len)
        guard let data, len > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(len)), as: UTF8.self)
    }

    package var hasBufferedInput: Bool { SSL_pending(ssl) > 0 }

    package func handshake() -> TransportResult {
        if checksFirstByte {
            switch PlainHTTPRefusal.inspect(descriptor) {
            // Nothing here yet: a server speaks only after the ClientHello, so wait for it
            // (reading it now could consume a plain request that arrives meanwhile).
            case .undecided: return .wouldBlock(wantsRead: true)
            case .tls: checksFirstByte = false
            case .plainHTTP:
                checksFirstByte = false
                PlainHTTPRefusal.answer(descriptor)
                return .failed("plain HTTP request on the TLS port")
            }
        }
        let r = SSL_do_handshake(ssl)
        if r == 1 { return .bytes(0) }
        return failure(r)
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .bytes(Int(n)) }
        return failure(n)
    }

    package func write(_ buffers: [UnsafeRawBufferPointer]) -> TransportResult {
        guard let first = buffers.first else { return .bytes(0) }
        ERR_clear_error()
        // Small pieces (a head and a short body) go out in one record.
        if first.count < 16 * 1024 && buffers.count > 1 {
            scratch.removeAll(keepingCapacity: true)
            for b in buffers {
                if scratch.count + b.count > 16 * 1024 { break }
                scratch.append(contentsOf: b)
            }
            if scratch.count > first.count {
                let n = scratch.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
                return n > 0 ? .bytes(Int(n)) : failure(n)
            }
        }
        let n = SSL_write(ssl, first.baseAddress, Int32(min(first.count, 1 << 30)))
        return n > 0 ? .bytes(Int(n)) : failure(n)
    }

    package func sendFile(_ file: Int32, offset: Int64, count: Int) -> TransportResult {
        if fileChunkOffset + Int64(fileChunkSent) != offset || fileChunkSent >= fileChunk.count {
            let size = min(count, 256 * 1024)
            if fileChunk.count != size { fileChunk = [UInt8](repeating: 0, count: size) }
            var got = 0
            while got < size {
                let n = fileChunk.withUnsafeMutableBytes { pread(file, $0.baseAddress! + got, size - got, off_t(offset) + off_t(got)) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { return .failed("pread: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                got += n
            }
            if got == 0 { return .failed("file shorter than its region") }
            if got < fileChunk.count { fileChunk.removeLast(fileChunk.count - got) }
            fileChunkOffset = offset
            fileChunkSent = 0
        }
        ERR_clear_error()
        let sent = fileChunkSent
        let n = fileChunk.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + sent, Int32($0.count - sent)) }
        if n > 0 {
            fileChunkSent += Int(n)
            return .bytes(Int(n))
        }
        return failure(n)
    }

    package func shutdownWrite() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    package func close() {}

    private func failure(_ r: Int32) -> TransportResult {
        let e = SSL_get_error(ssl, r)
        switch e {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantsRead: true)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsRead: false)
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let err = errno
            if err == EAGAIN { return .wouldBlock(wantsRead: true) }
            return err == 0 ? .closed : .failed("TLS: \(String(cString: strerror(err)))")
        default:
            return .failed("TLS error" + TLSContext.drainErrors())
        }
    }
}
