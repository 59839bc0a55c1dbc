import COpenSSL
import Foundation
import WharfHTTP

/// One OpenSSL client context: TLS 1.2+, peer verification against the system store, the
/// bundle, and (for a per-host context) that host's CA file.
final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer

    init(caFiles: [String], verify: Bool, clientCertificate: (certificate: String, key: String)? = nil) throws {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw HTTPClientError(.tls, host: "-", "cannot create a TLS context" + TLSContext.drainErrors())
        }
        context = ctx
        _ = wharf_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        SSL_CTX_set_default_verify_paths(ctx)
        for file in caFiles where SSL_CTX_load_verify_locations(ctx, file, nil) != 1 {
            throw HTTPClientError(.tls, host: "-", "cannot load trusted CA file \(file)" + TLSContext.drainErrors())
        }
        if let (certificate, key) = clientCertificate {
            guard SSL_CTX_use_certificate_chain_file(ctx, certificate) == 1 else {
                throw HTTPClientError(.tls, host: "-", "cannot load client certificate \(certificate)" + TLSContext.drainErrors())
            }
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
                throw HTTPClientError(.tls, host: "-", "cannot use client key \(key)" + TLSContext.drainErrors())
            }
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// The TLS contexts of one client: a shared one (system store + bundle) and one per host
/// that has a file in the CA directory, made on first use and kept.
final class TLSTrustStore: @unchecked Sendable {
    private let trust: HTTPClientTrust
    private let shared: TLSClientContext
    private let lock = NSLock()
    private var perFile: [String: TLSClientContext] = [:]

    /// - Throws: ``HTTPClientError`` `tls` when the bundle cannot be loaded.
    init(_ trust: HTTPClientTrust) throws {
        self.trust = trust
        shared = try TLSClientContext(caFiles: trust.caBundlePath.map { [$0] } ?? [], verify: !trust.insecureSkipVerify,
                                      clientCertificate: trust.clientCertificate)
    }

    /// The per-host CA file for `endpoint`: `host..port`, else `host`, in the CA directory.
    func caFile(for endpoint: HTTPEndpoint) -> String? {
        guard let dir = trust.caDirectory else { return nil }
        for name in ["\(endpoint.host)..\(endpoint.port)", endpoint.host] where !name.contains("/") {
            let path = (dir as NSString).appendingPathComponent(name)
            if access(path, R_OK) == 0 { return path }
        }
        return nil
    }

    /// The context a connection to `endpoint` is made from.
    func context(for endpoint: HTTPEndpoint) throws -> TLSClientContext {
        guard let file = caFile(for: endpoint) else { return shared }
        if let ctx = lock.withLock({ perFile[file] }) { return ctx }
        do {
            let ctx = try TLSClientContext(caFiles: (trust.caBundlePath.map { [$0] } ?? []) + [file], verify: !trust.insecureSkipVerify,
                                           clientCertificate: trust.clientCertificate)
            lock.withLock { perFile[file] = ctx }
            return ctx
        } catch var e as HTTPClientError {
            e.host = endpoint.description
            throw e
        }
    }
}
