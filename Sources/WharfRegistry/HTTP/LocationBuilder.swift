import WharfHTTP

/// Builds `Location` and `Link` URLs: absolute by default (scheme and host from
/// `http.host`, else RFC 7239 `Forwarded` (`proto=`, `host=` of the first element), else
/// `X-Forwarded-Proto`/`X-Forwarded-Host`, else the request's TLS and `Host`; the order
/// distribution uses), or relative paths when `http.relativeurls` is set.
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
        var scheme = request.isTLS ? "https" : "http"
        var authority = request.headers["Host"] ?? "localhost"
        if let forwarded = request.headers["Forwarded"] {
            let pairs = Self.forwardedPairs(forwarded)
            if let proto = pairs["proto"] { scheme = proto }
            if let host = pairs["host"] { authority = host }
        } else {
            if let proto = Self.firstValue(request.headers["X-Forwarded-Proto"]) { scheme = proto }
            if let host = Self.firstValue(request.headers["X-Forwarded-Host"]) { authority = host }
        }
        return "\(scheme)://\(authority)"
    }

    /// The `name=value` pairs of the first element of a `Forwarded` header (RFC 7239 §4),
    /// names lower-cased, quoted values unquoted. Values that could break a URL (spaces,
    /// slashes, control characters) are dropped; a `proto` must be `http` or `https`.
    static func forwardedPairs(_ header: String) -> [String: String] {
        let first = header.split(separator: ",", maxSplits: 1).first ?? ""
        var pairs: [String: String] = [:]
        for part in first.split(separator: ";") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let name = part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\", with: "")
            }
            guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f && $0 != "/" && $0 != "\\" && $0 != "\"" }) else { continue }
            if name == "proto" {
                let p = value.lowercased()
                guard p == "http" || p == "https" else { continue }
                value = p
            }
            pairs[name] = value
        }
        return pairs
    }

    /// The first element of a comma-separated header value (proxies append theirs).
    static func firstValue(_ value: String?) -> String? {
        guard let value else { return nil }
        let first = value.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !first.isEmpty, first.allSatisfy({ !$0.isNewline && $0 != "\r" }) else { return nil }
        return first
    }
}
