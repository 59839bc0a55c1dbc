import COpenSSL
import Foundation

/// Why a TLS configuration cannot be used.
public struct TLSConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What failed (file, reason) and OpenSSL's error queue.
    public let description: String
    init(_ message: String) { description = message + TLSContext.drainErrors() }
}

/// An OpenSSL server context built once per listener from a ``TLSConfiguration``:
/// certificate chain and key from PEM files, minimum protocol version, ALPN selection.
package final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// ALPN protocols in wire format (length-prefixed), kept alive for the callback.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>

    init(_ config: TLSConfiguration) throws {
        for path in [config.certificatePath, config.keyPath] where access(path, R_OK) != 0 {
            throw TLSConfigurationError("cannot read TLS file \(path): \(String(cString: strerror(errno)))")
        }
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSConfigurationError("SSL_CTX_new failed") }
        context = ctx
        var wire: [UInt8] = []
        for p in config.alpnProtocols where !p.isEmpty && p.utf8.count < 256 {
            wire.append(UInt8(p.utf8.count))
            wire.append(contentsOf: p.utf8)
        }
        alpnWire = .allocate(capacity: max(wire.count, 1))
        _ = alpnWire.initialize(from: wire)
        alpnCount = wire.count

        let minVersion: Int32
        switch config.minimumVersion.lowercased() {
        case "", "tls1.2", "tls12", "1.2": minVersion = TLS1_2_VERSION
        case "tls1.3", "tls13", "1.3": minVersion = TLS1_3_VERSION
        default: throw TLSConfigurationError("unsupported TLS minimum version \(config.minimumVersion) (use tls1.2 or tls1.3)")
        }
        guard wharf_SSL_CTX_set_min_proto_version(ctx, minVersion) == 1 else { throw TLSConfigurationError("cannot set TLS minimum version") }
        _ = wharf_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        guard SSL_CTX_use_certificate_chain_file(ctx, config.certificatePath) == 1 else {
            throw TLSConfigurationError("cannot load certificate chain \(config.certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, config.keyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSConfigurationError("cannot load private key \(config.keyPath)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSConfigurationError("private key \(config.keyPath) does not match the certificate")
        }
        if !config.cipherList.isEmpty, SSL_CTX_set_cipher_list(ctx, config.cipherList) != 1 {
            throw TLSConfigurationError("no usable TLS 1.2 cipher suite in \(config.cipherList)")
        }
        if !config.cipherSuites.isEmpty, SSL_CTX_set_ciphersuites(ctx, config.cipherSuites) != 1 {
            throw TLSConfigurationError("no usable TLS 1.3 cipher suite in \(config.cipherSuites)")
        }
        if !config.clientCAPaths.isEmpty {
            // Mutual TLS: the handshake fails on a certificate these CAs did not issue, and
            // without one unless it is optional.
            for path in config.clientCAPaths {
                guard access(path, R_OK) == 0 else {
                    throw TLSConfigurationError("cannot read client CA file \(path): \(String(cString: strerror(errno)))")
                }
                guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                    throw TLSConfigurationError("cannot load client CA file \(path)")
                }
            }
            // The CA names sent in the CertificateRequest, so clients pick the right certificate.
            if let names = SSL_load_client_CA_file(config.clientCAPaths[0]) {
                for path in config.clientCAPaths.dropFirst() { _ = SSL_add_file_cert_subjects_to_stack(names, path) }
                SSL_CTX_set_client_CA_list(ctx, names)
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (config.clientCertificateRequired ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nil)
        }
        if alpnCount > 0 {
            SSL_CTX_set_alpn_select_cb(ctx, { _, out, outlen, input, inlen, arg in
                guard let arg, let out, let outlen, let input else { return SSL_TLSEXT_ERR_NOACK }
                let me = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
                var selected: UnsafeMutablePointer<UInt8>?
                let r = SSL_select_next_proto(&selected, outlen, me.alpnWire.baseAddress, UInt32(me.alpnCount), input, inlen)
                guard r == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_NOACK }
                out.pointee = UnsafePointer(selected)
                return SSL_TLSEXT_ERR_OK
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    private let alpnCount: Int

    deinit {
        SSL_CTX_free(context)
        alpnWire.deallocate()
    }

    /// The OpenSSL error queue as text (and cleared), prefixed with ": " when not empty.
    package static func drainErrors() -> String {
        var parts: [String] = []
        while true {
            let e = ERR_get_error()
            if e == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(e, &buf, buf.count)
            parts.append(String(cString: buf))
        }
        return parts.isEmpty ? "" : ": " + parts.joined(separator: "; ")
    }
}
