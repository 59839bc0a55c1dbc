import Dispatch

/// What a codec knows about one response while it is sent: its status, when its head was
/// queued, how many body bytes went out, whether the server failed it. Turns that into
/// the request's ``ResponseOutcome`` exactly once. Lives on the connection queue.
final class ResponseProgress {
    let request: HTTPRequest
    private(set) var status: Int?
    private(set) var headerAt: DispatchTime?
    /// Body bytes sent so far (HTTP/2 counts DATA payloads as they are queued).
    var bodyBytes: Int64 = 0
    /// The server broke the response off (a producer threw or fell short).
    var failed = false

    init(request: HTTPRequest) { self.request = request }

    /// The head with `status` is queued now.
    func started(status: Int) {
        self.status = status
        headerAt = .now()
    }

    /// The response ended: complete, or broken off (by the server when ``failed``, else by the client).
    func finish(complete: Bool, bodyBytes: Int64? = nil) {
        guard let status else { return }
        if let bodyBytes { self.bodyBytes = bodyBytes }
        let ending: ResponseOutcome.Ending = complete ? .complete : (failed ? .error : .clientGone)
        request.finishResponse(ResponseOutcome(status: status, bodyBytesWritten: self.bodyBytes, ending: ending,
                                               headerWrittenAt: headerAt))
    }

    /// The handler answered `status` after its connection or stream was gone (no-op when
    /// the codec took the response): nothing was sent, the client is gone.
    func abandoned(status: Int) {
        guard self.status == nil else { return }
        self.status = status
        finish(complete: false, bodyBytes: 0)
    }
}
