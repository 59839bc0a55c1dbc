/// A request's decoded header list checked against RFC 9113 §8.2-8.3: pseudo-header
/// fields first, only the four request ones, each once; lower-case names; no
/// connection-specific fields; `te` only `trailers`; a valid `content-length`.
/// A malformed request is a stream error of type PROTOCOL_ERROR.
struct HTTP2RequestHead {
    var method: String
    var path: String
    var headers: HTTPHeaders
    var contentLength: Int64?

    private static let connectionSpecific: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]

    /// The request head, or why the field list is malformed.
    static func parse(_ fields: [(name: String, value: String)]) -> Result<HTTP2RequestHead, HTTP2ConnectionError> {
        func malformed(_ why: String) -> Result<HTTP2RequestHead, HTTP2ConnectionError> { .failure(HTTP2ConnectionError(.protocolError, why)) }
        var method: String?, scheme: String?, path: String?, authority: String?
        var headers = HTTPHeaders()
        var regularSeen = false
        var contentLength: Int64?
        for (name, value) in fields {
            if value.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) { return malformed("invalid character in \(name)") }
            if name.hasPrefix(":") {
                if regularSeen { return malformed("pseudo-header \(name) after regular fields") }
                switch name {
                case ":method": if method != nil { return malformed("duplicate :method") }; method = value
                case ":scheme": if scheme != nil { return malformed("duplicate :scheme") }; scheme = value
                case ":path": if path != nil { return malformed("duplicate :path") }; path = value
                case ":authority": if authority != nil { return malformed("duplicate :authority") }; authority = value
                default: return malformed("unknown pseudo-header \(name)")
                }
                continue
            }
            regularSeen = true
            if name.isEmpty || name.utf8.contains(where: { $0 <= 32 || $0 >= 127 || ($0 >= 65 && $0 <= 90) || $0 == 58 }) {
                return malformed("invalid field name")
            }
            if connectionSpecific.contains(name) { return malformed("connection-specific field \(name)") }
            if name == "te" && value != "trailers" { return malformed("te other than trailers") }
            if name == "content-length" {
                guard let n = Int64(value), n >= 0, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    return malformed("invalid content-length")
                }
                if let c = contentLength, c != n { return malformed("conflicting content-length") }
                contentLength = n
            }
            headers.add(name, value)
        }
        guard let method, !method.isEmpty else { return malformed("missing :method") }
        if method == "CONNECT" { return malformed("CONNECT is not supported") }
        guard scheme != nil, let path, !path.isEmpty else { return malformed("missing :scheme or :path") }
        if path != "*" && !path.hasPrefix("/") { return malformed("invalid :path") }
        if let authority, !headers.contains("host") { headers.add("host", authority) }
        return .success(HTTP2RequestHead(method: method, path: path, headers: headers, contentLength: contentLength))
    }
}
