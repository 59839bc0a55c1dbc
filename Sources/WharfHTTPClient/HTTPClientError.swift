import Foundation

/// Why a request got no (complete) answer. It names the host and port, never credentials:
/// URLs in messages carry no userinfo and proxy credentials are never printed.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarse enough for a caller to decide on retries.
    public enum Kind: String, Sendable {
        /// The name did not resolve.
        case hostNotFound
        /// The TCP connection was refused.
        case connectionRefused
        /// The TCP connection could not be made for another reason.
        case connectFailed
        /// Connecting, or waiting for bytes, took longer than the configured timeout.
        case timeout
        /// The TLS handshake failed or the certificate was refused.
        case tls
        /// The peer closed (or reset) the connection before the answer's head.
        case connectionClosed
        /// The connection ended in the middle of the answer's body.
        case truncatedBody
        /// The answer was not valid HTTP/1.1.
        case malformedResponse
        /// The proxy refused the CONNECT tunnel or answered badly.
        case proxy
        /// More redirects than the configuration allows.
        case tooManyRedirects
        /// The URL cannot be requested (scheme, host).
        case invalidURL
        /// Sending failed, or the request body's source threw.
        case io
    }

    /// The kind of failure.
    public var kind: Kind
    /// `host:port` of the server (or the proxy, for proxy failures).
    public var host: String
    /// A description without credentials.
    public var message: String
    /// True when part of the answer had arrived (such a failure is never retried).
    public var responseStarted: Bool

    /// An error of `kind` talking to `host`.
    public init(_ kind: Kind, host: String, _ message: String, responseStarted: Bool = false) {
        self.kind = kind
        self.host = host
        self.message = message
        self.responseStarted = responseStarted
    }

    /// `<kind> <host>: <message>`.
    public var description: String { "HTTP \(kind.rawValue) \(host): \(message)" }

    /// True for failures before any answer byte that another connection may not have.
    var isTransient: Bool {
        guard !responseStarted else { return false }
        switch kind {
        case .hostNotFound, .connectionRefused, .connectFailed, .timeout, .connectionClosed, .io: return true
        default: return false
        }
    }
}
