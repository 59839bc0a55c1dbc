import Foundation

/// Plain HTTP sent to the TLS port: answered `400` with Go's words ("client sent an HTTP
/// request to an HTTPS server") instead of a reset, so the operator sees what went wrong.
/// A TLS connection's first byte is a handshake record (0x16); a request starts with an
/// upper-case method name.
enum PlainHTTPRefusal {
    /// What the first bytes on a new server connection say.
    enum Verdict { case undecided, tls, plainHTTP }

    /// The answer, sent before the connection is closed.
    static let response: [UInt8] = {
        let body = "client sent an HTTP request to an HTTPS server\n"
        return Array(("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }()

    /// Peeks (without consuming) at the first bytes: a TLS record type, or the start of a
    /// method (`GET `, `POST`, ...), or too little to tell yet.
    static func inspect(_ descriptor: Int32) -> Verdict {
        var peeked = [UInt8](repeating: 0, count: 4)
        let n = peeked.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_PEEK | MSG_DONTWAIT)) }
        guard n > 0 else { return n == 0 ? .tls : .undecided }
        if peeked[0] == 0x16 { return .tls }
        let start = peeked[0..<n]
        let looksLikeMethod = start.allSatisfy { (0x41...0x5A).contains($0) || $0 == 0x20 } && (0x41...0x5A).contains(start.first!)
        return looksLikeMethod ? .plainHTTP : .tls
    }

    /// Consumes the request bytes already here (so closing sends FIN, not RST), writes the
    /// answer and ends the sending direction. Best effort: the socket is non-blocking and
    /// the answer fits an empty send buffer.
    static func answer(_ descriptor: Int32) {
        var sink = [UInt8](repeating: 0, count: 16 * 1024)
        for _ in 0..<4 {
            let n = sink.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < sink.count { break }
        }
        _ = response.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }
}
