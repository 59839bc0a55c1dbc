import Foundation
import WharfHTTP

extension HTTPClientRequest {
    /// The request head as sent: request line (origin or absolute form), `Host`, the
    /// caller's fields, `User-Agent` when the caller gave none, the body's framing, and
    /// `Proxy-Authorization` for a plain-HTTP proxy.
    /// - Throws: ``HTTPClientError`` `invalidURL` for a CR, LF or NUL in a field or target.
    func head(absoluteForm: Bool, proxyAuthorization: String?, userAgent: String? = nil) throws -> String {
        var head = "\(method) \(absoluteForm ? url : target) HTTP/1.1\r\n"
        if !headers.contains("Host") { head += "Host: \(endpoint.hostHeader)\r\n" }
        for field in headers where !HTTPHeaders.same(field.name, "Content-Length") && !HTTPHeaders.same(field.name, "Transfer-Encoding") {
            head += "\(field.name): \(field.value)\r\n"
        }
        if let userAgent, !headers.contains("User-Agent") { head += "User-Agent: \(userAgent)\r\n" }
        switch body {
        case .empty:
            if ["PUT", "POST", "PATCH"].contains(method.uppercased()) { head += "Content-Length: 0\r\n" }
        case .bytes(let data):
            head += "Content-Length: \(data.count)\r\n"
        case .stream(let length, _):
            head += length.map { "Content-Length: \($0)\r\n" } ?? "Transfer-Encoding: chunked\r\n"
        }
        if absoluteForm, let proxyAuthorization { head += "Proxy-Authorization: \(proxyAuthorization)\r\n" }
        head += "\r\n"
        let lines = head.utf8.split(separator: 10, omittingEmptySubsequences: false)
        if head.utf8.contains(0) || lines.dropLast().contains(where: { $0.last != 13 || $0.dropLast().contains(13) }) {
            throw HTTPClientError(.invalidURL, host: endpoint.description, "control character in the request target or a header field")
        }
        return head
    }

    /// The request a redirect answer points to: 303 (and 301/302 after POST) become a GET
    /// without body; credentials are dropped when the redirect leaves the endpoint.
    func redirected(to location: String, status: Int) throws -> HTTPClientRequest {
        guard let base = URL(string: url), let resolved = URL(string: location, relativeTo: base)?.absoluteString else {
            throw HTTPClientError(.invalidURL, host: endpoint.description, "bad redirect location", responseStarted: true)
        }
        var next = try HTTPClientRequest(method: method, url: resolved, headers: headers, body: body)
        next.idempotent = idempotent
        next.headers.remove("Host")
        if status == 303 || ((status == 301 || status == 302) && method.uppercased() == "POST") {
            next.method = "GET"
            next.body = .empty
            next.headers.remove("Content-Type")
        }
        if next.endpoint != endpoint {
            for name in ["Authorization", "Cookie", "Proxy-Authorization"] { next.headers.remove(name) }
        }
        return next
    }
}
