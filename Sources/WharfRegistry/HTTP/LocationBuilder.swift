import WharfHTTP

/// Builds `Location` and `Link` URLs: absolute by default (scheme and host from
/// `http.host`, else `X-Forwarded-Proto`/`X-Forwarded-Host`, else the request's TLS and
/// `Host`), or relative paths when `http.relativeurls` is set.
///
/// ```swift
/// LocationBuilder(options: opts).url("/v2/app/blobs/sha256:...", for: request)
/// // "https://registry.example/v2/app/blobs/sha256:..."
/// ```
struct LocationBuilder: Sendable {
    let relative: Bool
    let host: String?

    init(options: RegistryOptions) {
        relative = options.relativeURLs
        host = options.host.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// `path` (starting with `/`, already escaped) made absolute or left relative.
    func url(_ path: String, for request: HTTPRequest) -> String {
        if relative { return path }
        return base(for: request) + path
    }

    func base(for request: HTTPRequest) -> String {
        if let host, !host.isEmpty { return host }
        let scheme = Self.firstValue(request.headers["X-Forwarded-Proto"]) ?? (request.isTLS ? "https" : "http")
        let authority = Self.firstValue(request.headers["X-Forwarded-Host"]) ?? request.headers["Host"] ?? "localhost"
        return "\(scheme)://\(authority)"
    }

    /// The first element of a comma-separated header value (proxies append theirs).
    static func firstValue(_ value: String?) -> String? {
        guard let value else { return nil }
        let first = value.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !first.isEmpty, first.allSatisfy({ !$0.isNewline && $0 != "\r" }) else { return nil }
        return first
    }
}
