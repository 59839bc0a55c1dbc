import Dispatch
import Foundation

/// How one response ended, as the server saw it on the wire: the access log and the HTTP
/// metrics are written from this, once the response has finished or failed, not when
/// the handler returned.
public struct ResponseOutcome: Sendable {
    /// How the exchange ended.
    public enum Ending: String, Sendable {
        /// Every byte of the response was handed to the connection.
        case complete
        /// The client closed, reset the stream or stopped reading before the end.
        case clientGone = "client gone"
        /// The server failed mid-response (a body producer threw or fell short).
        case error
    }

    /// The status the handler answered with.
    public var status: Int
    /// Body bytes written: on HTTP/1.1 to the socket, on HTTP/2 in DATA frames; 0 for HEAD.
    public var bodyBytesWritten: Int64
    public var ending: Ending
    /// When the response head was handed to the connection; nil if it never was.
    public var headerWrittenAt: DispatchTime?
    /// When the response finished or failed.
    public var finishedAt: DispatchTime

    public init(status: Int, bodyBytesWritten: Int64, ending: Ending, headerWrittenAt: DispatchTime?,
                finishedAt: DispatchTime = .now()) {
        self.status = status
        self.bodyBytesWritten = bodyBytesWritten
        self.ending = ending
        self.headerWrittenAt = headerWrittenAt
        self.finishedAt = finishedAt
    }
}

/// The observers of one request's ``ResponseOutcome``: called once, by whichever codec
/// carried the response, on its connection queue.
final class ResponseCompletion: @unchecked Sendable {
    private let lock = NSLock()
    private var observers: [@Sendable (ResponseOutcome) -> Void] = []
    private var outcome: ResponseOutcome?

    var finished: ResponseOutcome? { lock.withLock { outcome } }

    func observe(_ observer: @escaping @Sendable (ResponseOutcome) -> Void) {
        lock.lock()
        if let outcome {
            lock.unlock()
            observer(outcome)
            return
        }
        observers.append(observer)
        lock.unlock()
    }

    /// Delivers `outcome` to every observer; later calls are ignored.
    func finish(_ outcome: ResponseOutcome) {
        lock.lock()
        guard self.outcome == nil else { lock.unlock(); return }
        self.outcome = outcome
        let waiting = observers
        observers = []
        lock.unlock()
        for observer in waiting { observer(outcome) }
    }
}

extension HTTPRequest {
    /// Calls `observer` once the response to this request has finished or failed (at once
    /// if it already has). Middleware that logs or measures the response uses this instead
    /// of the handler's return, which comes before the body is sent.
    public func onResponseFinished(_ observer: @escaping @Sendable (ResponseOutcome) -> Void) {
        completion.observe(observer)
    }

    /// The outcome once the response has finished, else nil.
    public var responseOutcome: ResponseOutcome? { completion.finished }

    /// Reports how the response ended. The server's codecs call this; a test that calls a
    /// handler without a server calls it to stand in for the connection. Only the first
    /// call counts.
    public func finishResponse(_ outcome: ResponseOutcome) {
        completion.finish(outcome)
    }
}
