import Foundation

/// How an ``HTTPClient`` connects, trusts, retries and follows redirects.
///
/// ```swift
/// var config = HTTPClientConfiguration()
/// config.trust = HTTPClientTrust(caBundlePath: "/etc/pki/extra.pem", caDirectory: "/etc/wharf/trusted-ca")
/// config.proxy = .environment()          // HTTP_PROXY, HTTPS_PROXY, NO_PROXY
/// config.retry = .idempotent(maxAttempts: 4)
/// let client = try HTTPClient(configuration: config)
/// ```
public struct HTTPClientConfiguration: Sendable {
    /// Longest wait for a TCP connection (and for a proxy's CONNECT answer).
    public var connectTimeout: TimeInterval = 10
    /// Longest wait for any one read or write on an open connection (not for the whole answer).
    public var readTimeout: TimeInterval = 60
    /// Which certificates are trusted.
    public var trust = HTTPClientTrust()
    /// Which proxy a request goes through.
    public var proxy = HTTPProxyConfiguration()
    /// When a failed request is sent again.
    public var retry = HTTPRetryPolicy()
    /// How many redirects (301, 302, 303, 307, 308) are followed; 0 returns them to the caller.
    public var maxRedirects = 0
    /// Idle keep-alive connections kept per pool key (scheme, host, port, proxy).
    public var maxIdlePerHost = 32
    /// Threads doing blocking socket I/O (the most requests in flight at once).
    public var maxThreads = 64
    /// Largest answer head accepted.
    public var maxHeaderBytes = 64 * 1024
    /// The `User-Agent` sent when a request has none, so that object stores', upstreams'
    /// and webhook receivers' logs (and an operator's proxy) can tell Wharf's requests
    /// apart; nil sends none.
    public var userAgent: String? = "wharf"

    /// The defaults: system CAs, no proxy, retries for idempotent requests, no redirects.
    public init() {}
}

/// Which server certificates are trusted: the system store always, plus extra CAs.
public struct HTTPClientTrust: Sendable {
    /// A PEM file of extra CA certificates trusted for every host.
    public var caBundlePath: String?
    /// A directory of PEM files trusted per host, each named `host` or `host..port` (the
    /// layout of OpenShift's `additionalTrustedCA` config map mounted as files): for
    /// `127.0.0.1:8443` the file `127.0.0.1..8443`, else `127.0.0.1`.
    public var caDirectory: String?
    /// Accept any certificate and name (test setups only; the traffic is still encrypted).
    public var insecureSkipVerify: Bool
    /// A client certificate (PEM chain) and its key, presented when the server asks (mutual TLS).
    public var clientCertificate: (certificate: String, key: String)?

    /// Trust in the system store plus the given bundle and per-host directory.
    public init(caBundlePath: String? = nil, caDirectory: String? = nil, insecureSkipVerify: Bool = false) {
        self.caBundlePath = caBundlePath
        self.caDirectory = caDirectory
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// When a request is sent again, and how long the client waits in between.
///
/// Only idempotent requests are retried (GET, HEAD, PUT, DELETE, OPTIONS unless the request
/// says otherwise), after a failure before any answer byte or an answer whose status is in
/// ``retryStatuses`` (honouring `Retry-After`, up to ``maxDelay``). A connection from the
/// pool that turns out closed is replaced once without counting as an attempt.
public struct HTTPRetryPolicy: Sendable {
    /// Attempts in all, the first included (1: never retry).
    public var maxAttempts: Int
    /// Delay before the second attempt; doubled for each next one, with jitter.
    public var baseDelay: TimeInterval
    /// Longest delay between attempts, `Retry-After` included.
    public var maxDelay: TimeInterval
    /// Answer statuses worth another attempt.
    public var retryStatuses: Set<Int>

    /// Up to `maxAttempts` attempts on connection failures and 429/502/503/504.
    public init(maxAttempts: Int = 3, baseDelay: TimeInterval = 0.1, maxDelay: TimeInterval = 10,
                retryStatuses: Set<Int> = [429, 502, 503, 504]) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.retryStatuses = retryStatuses
    }

    /// No retries (a pooled connection found closed is still replaced once).
    public static let never = HTTPRetryPolicy(maxAttempts: 1, retryStatuses: [])

    /// The wait before attempt `attempt + 1`: `Retry-After` when given (seconds or an
    /// HTTP date), else exponential backoff with jitter; never above ``maxDelay``.
    func delay(afterAttempt attempt: Int, retryAfter: String?) -> TimeInterval {
        if let retryAfter {
            if let seconds = TimeInterval(retryAfter.trimmingCharacters(in: .whitespaces)) {
                return min(max(0, seconds), maxDelay)
            }
            if let date = HTTPDate.parse(retryAfter) { return min(max(0, date.timeIntervalSinceNow), maxDelay) }
        }
        return min(baseDelay * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.0), maxDelay)
    }
}
