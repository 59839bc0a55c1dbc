import Foundation

/// The state of one request/response pair on an HTTP/1.1 connection.
final class HTTP1Exchange {
    let request: HTTPRequest
    let source: HTTP1BodySource
    let framing: HTTP1BodyFraming
    /// Content-Length bytes still to come from the socket.
    var lengthRemaining: Int64
    var chunked = ChunkedDecoder()
    /// Body bytes taken from the socket so far.
    var received: Int64 = 0
    /// The request body has been read off the socket completely (or failed).
    var bodyDone = false
    var expectContinue: Bool
    var continueSent = false
    var responseStarted = false
    /// The whole response is queued; it is finished when the output queue drains.
    var responseQueued = false
    /// Body bytes are read and dropped (the handler answered without reading them all).
    var discarding = false
    var discarded: Int64 = 0
    var writer: QueuedBodyWriter?
    /// The streamed response is chunked (its length was not known).
    var chunkedResponse = false
    var status = 0
    var lastProgress = DispatchTime.now()
    /// Status, timing and failure of the response, reported as the request's outcome.
    let progress: ResponseProgress
    /// The connection's written-bytes count at which this response's head begins.
    var wireStart: Int64 = 0
    var headBytes: Int64 = 0
    /// Response body bytes queued on the connection so far.
    var bodyQueued: Int64 = 0

    init(request: HTTPRequest, source: HTTP1BodySource, framing: HTTP1BodyFraming, expectContinue: Bool) {
        self.request = request
        self.source = source
        self.framing = framing
        self.expectContinue = expectContinue
        progress = ResponseProgress(request: request)
        if case .length(let n) = framing { lengthRemaining = n } else { lengthRemaining = 0 }
    }
}
