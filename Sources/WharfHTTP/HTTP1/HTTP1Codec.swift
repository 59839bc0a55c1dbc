import Foundation

/// HTTP/1.1 (RFC 9112) on one connection: parses request heads, decodes bodies with
/// backpressure, runs the handler on a task and writes responses in request order
/// (pipelined requests wait in the input buffer until the previous response is sent).
final class HTTP1Codec: ConnectionCodec {
    enum Phase { case idle, head, exchange, closed }

    private let context: ConnectionContext
    private let limits: HTTPLimits
    private var phase: Phase = .idle
    private var phaseSince = DispatchTime.now()
    /// Received bytes not processed yet: a partial head, or pipelined input.
    private var inbound: [UInt8] = []
    private var scanFrom = 0
    private var exchange: HTTP1Exchange?
    private var closeAfterResponse = false
    private var shuttingDown = false

    init(context: ConnectionContext) {
        self.context = context
        limits = context.configuration.limits
    }

    func start() {
        phase = .idle
        phaseSince = .now()
    }

    // MARK: Input

    var wantsInput: Bool {
        switch phase {
        case .closed: return false
        case .idle, .head: return inbound.count <= limits.maxHeaderBytes
        case .exchange:
            guard let ex = exchange else { return false }
            if !ex.bodyDone {
                if !inbound.isEmpty { return false }
                return ex.discarding || ex.source.bufferedBytes < limits.bufferSize
            }
            // Pipelined input waits, bounded, until the response is sent.
            return inbound.count < limits.maxHeaderBytes && !closeAfterResponse
        }
    }

    /// Up to one ``BodyBufferPool`` buffer while the body has bytes to come; reading stops at
    /// `limits.bufferSize` unread bytes as before, so at most that plus one buffer is held.
    var bodyReadLimit: Int? {
        guard phase == .exchange, let ex = exchange, !ex.bodyDone, !ex.discarding, inbound.isEmpty,
              case .length = ex.framing, ex.lengthRemaining > 0 else { return nil }
        return Int(min(Int64(BodyBufferPool.shared.bufferSize), ex.lengthRemaining))
    }

    func receivedBody(_ data: Data) {
        guard let ex = exchange, bodyReadLimit != nil, data.count <= ex.lengthRemaining else {
            data.withUnsafeBytes { received($0) }
            return
        }
        ex.lastProgress = .now()
        ex.received += Int64(data.count)
        ex.lengthRemaining -= Int64(data.count)
        ex.source.append(data)
        if ex.lengthRemaining == 0 { ex.bodyDone = true; ex.source.finish() }
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        if phase == .exchange, let ex = exchange, !ex.bodyDone, inbound.isEmpty {
            let used = feedBody(ex, bytes)
            if used < bytes.count { inbound.append(contentsOf: bytes[used...]) }
            if ex.bodyDone { afterBodyDone(ex) }
            return
        }
        inbound.append(contentsOf: bytes)
        process()
    }

    func inputEnded() {
        switch phase {
        case .idle, .head, .closed:
            phase = .closed
            context.closeNow()
        case .exchange:
            closeAfterResponse = true
            if let ex = exchange, !ex.bodyDone {
                ex.bodyDone = true
                ex.source.fail(RequestBodyError.truncated)
                if ex.discarding { context.abort("peer closed during body") }
            }
        }
    }

    /// Handles buffered input: parses the next head when no exchange is running, or feeds
    /// buffered bytes to the current body.
    private func process() {
        while true {
            switch phase {
            case .closed:
                return
            case .exchange:
                guard let ex = exchange, !ex.bodyDone, !inbound.isEmpty else { return }
                if !ex.discarding && ex.source.bufferedBytes >= limits.bufferSize { return }
                let used = inbound.withUnsafeBytes { feedBody(ex, $0) }
                inbound.removeFirst(used)
                if ex.bodyDone { afterBodyDone(ex) }
                return
            case .idle, .head:
                if inbound.isEmpty { return }
                if phase == .idle {
                    if shuttingDown { phase = .closed; context.closeNow(); return }
                    phase = .head
                    phaseSince = .now()
                }
                let result = inbound.withUnsafeBytes { HTTP1Parser.parseHead($0, limits: limits, scanFrom: scanFrom) }
                switch result {
                case .needMore:
                    scanFrom = HTTP1Parser.rescanPosition(afterScanning: inbound.count)
                    return
                case .failure(let error):
                    reject(error.status, error.reason)
                    return
                case .complete(let head, let consumed):
                    inbound.removeFirst(consumed)
                    scanFrom = 0
                    begin(head)
                }
            }
        }
    }

    /// Answers a protocol error and closes the connection.
    private func reject(_ status: Int, _ reason: String) {
        context.logger.debug("bad request", ["remote": context.remoteAddress, "status": String(status), "reason": reason])
        phase = .closed
        inbound = []
        let body = Array("\(status) \(HTTPResponse.reasonPhrase(status)): \(reason)\n".utf8)
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/plain; charset=utf-8")
        let head = ResponseEncoder.head(status: status, headers: headers, framing: .length(Int64(body.count)), connection: "close")
        context.enqueue(.bytes(head + body))
        context.closeGracefully()
    }

    private func begin(_ head: HTTP1RequestHead) {
        let framing: HTTP1BodyFraming
        switch HTTP1Parser.bodyFraming(of: head) {
        case .failure(let e): reject(e.status, e.reason); return
        case .success(let f): framing = f
        }
        let connectionTokens = head.headers.values("Connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIIWhitespace().lowercased() }
        let keepAlive = head.version == .http1_1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
        if !keepAlive { closeAfterResponse = true }
        let expect = head.version == .http1_1 && (head.headers["Expect"].map { $0.lowercased() == "100-continue" } ?? false)

        let source = HTTP1BodySource(queue: context.queue)
        let declared: Int64?
        if case .length(let n) = framing { declared = n } else { declared = nil }
        let body = RequestBody(source: source, declaredLength: declared)
        body.maxLength = limits.defaultMaxBodySize
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version, headers: head.headers,
                                  body: body, remoteAddress: context.remoteAddress, isTLS: context.isTLS)
        let ex = HTTP1Exchange(request: request, source: source, framing: framing, expectContinue: expect && declared != 0)
        source.onRead = { [weak self, weak ex] first in
            guard let self, let ex else { return }
            self.bodyRead(ex, first: first)
        }
        exchange = ex
        phase = .exchange
        phaseSince = .now()
        if declared == 0 {
            ex.bodyDone = true
            source.finish()
        }
        let handler = context.handler
        let logger = context.logger
        let queue = context.queue
        // Without a body (GET, HEAD, DELETE) the task runs on the connection queue after
        // this read event, so a handler that does not suspend answers without a thread
        // hand-off either way. With a body it runs on the cooperative pool as before, so
        // hashing an upload overlaps with reading the next bytes off the socket.
        let executor: ConnectionExecutor? = declared == 0 ? context.executor : nil
        Task(executorPreference: executor) { [weak self] in
            let response = await Self.run(handler, request, logger)
            if let executor, executor.isCurrent {
                self?.respond(ex, response)
                ex.progress.abandoned(status: response.status)
            } else {
                queue.async { [weak self] in
                    self?.respond(ex, response)
                    ex.progress.abandoned(status: response.status)
                }
            }
        }
    }

    /// Runs the handler, mapping body errors to 4xx and anything else to 500 (shared with HTTP/2).
    static func run(_ handler: HTTPHandler, _ request: HTTPRequest, _ logger: Logger) async -> HTTPResponse {
        do {
            return try await RequestID.$current.withValue(request.requestID) { try await handler(request) }
        } catch let error as RequestBodyError {
            switch error {
            case .tooLarge(let limit): return .text(413, "request body larger than \(limit) bytes\n")
            case .malformed(let why): return .text(400, "malformed request body: \(why)\n")
            case .truncated: return .text(400, "request body truncated\n")
            case .alreadyConsumed: break
            }
            logger.error("handler failed", ["method": request.method, "path": request.path, "error": "\(error)"])
            return .text(500, "internal server error\n")
        } catch {
            logger.error("handler failed", ["method": request.method, "path": request.path, "error": "\(error)"])
            return .text(500, "internal server error\n")
        }
    }

    // MARK: Request body

    /// Takes body bytes from `bytes`; returns how many were used.
    private func feedBody(_ ex: HTTP1Exchange, _ bytes: UnsafeRawBufferPointer) -> Int {
        ex.lastProgress = .now()
        switch ex.framing {
        case .length:
            let take = Int(min(Int64(bytes.count), ex.lengthRemaining))
            if take > 0 { deliver(ex, UnsafeRawBufferPointer(rebasing: bytes[0..<take])) }
            ex.lengthRemaining -= Int64(take)
            if ex.lengthRemaining == 0 { ex.bodyDone = true; ex.source.finish() }
            return take
        case .chunked:
            do {
                let (used, done) = try ex.chunked.decode(bytes) { deliver(ex, $0) }
                if done { ex.bodyDone = true; ex.source.finish() }
                return used
            } catch {
                ex.bodyDone = true
                ex.source.fail(error)
                closeAfterResponse = true
                return bytes.count
            }
        }
    }

    private func deliver(_ ex: HTTP1Exchange, _ bytes: UnsafeRawBufferPointer) {
        ex.received += Int64(bytes.count)
        if ex.discarding {
            ex.discarded += Int64(bytes.count)
            if ex.discarded > limits.drainLimit {
                ex.bodyDone = true
                closeAfterResponse = true
                if ex.responseQueued && context.bufferedOutputBytes == 0 { context.closeGracefully() }
            }
            return
        }
        ex.source.append(Data(bytes))
    }

    private func afterBodyDone(_ ex: HTTP1Exchange) {
        if ex.discarding && ex.responseQueued && context.bufferedOutputBytes == 0 { finish(ex) }
    }

    /// The handler read from the body: send `100 Continue` first if the client waits for it,
    /// and resume reading the socket if the buffer drained.
    private func bodyRead(_ ex: HTTP1Exchange, first: Bool) {
        if ex.expectContinue && !ex.continueSent && !ex.responseStarted && !ex.bodyDone {
            ex.continueSent = true
            context.enqueue(.bytes(ResponseEncoder.continueHead))
            context.flush()
        }
        if !inbound.isEmpty { process() }
        context.stateChanged()
    }

    // MARK: Response

    private func respond(_ ex: HTTP1Exchange, _ response: HTTPResponse) {
        guard exchange === ex, phase == .exchange else { return }
        ex.responseStarted = true
        ex.status = response.status
        let method = ex.request.method
        let status = response.status
        let bodyAllowed = method != "HEAD" && status >= 200 && status != 204 && status != 304
        if !ex.bodyDone, !isStream(response.body) { startDiscarding(ex, decideNow: true) }

        var framing: ResponseEncoder.Framing
        if status < 200 || status == 204 {
            framing = .none
        } else if method == "HEAD" || status == 304 {
            if response.headers.contains("Content-Length") {
                framing = .handlerLength
            } else if let n = response.body.knownLength, !(status == 304), !(isEmptyBody(response.body) && method == "HEAD") {
                framing = .length(n)
            } else {
                framing = .handlerLength
            }
        } else if let n = response.body.knownLength {
            framing = .length(n)
        } else if ex.request.version == .http1_1 {
            framing = .chunked
        } else {
            framing = .untilClose
            closeAfterResponse = true
        }
        if shuttingDown { closeAfterResponse = true }
        let connectionToken: String? = closeAfterResponse ? "close" : (ex.request.version == .http1_0 ? "keep-alive" : nil)
        let head = ResponseEncoder.head(status: status, headers: response.headers, framing: framing, connection: connectionToken)
        ex.wireStart = context.writtenOutputBytes + context.bufferedOutputBytes
        ex.headBytes = Int64(head.count)
        ex.progress.started(status: status)
        context.enqueue(.bytes(head))
        if !bodyAllowed {
            ex.responseQueued = true
            context.flush()
            return
        }
        switch response.body {
        case .empty:
            ex.responseQueued = true
        case .bytes(let data):
            context.enqueue(.data(data))
            ex.bodyQueued = Int64(data.count)
            ex.responseQueued = true
        case .file(let region):
            context.enqueue(.file(region, offset: region.offset, remaining: region.length))
            ex.bodyQueued = region.length
            ex.responseQueued = true
        case .stream(let length, let producer):
            let chunked = framing == .chunked
            ex.chunkedResponse = chunked
            let writer = QueuedBodyWriter(queue: context.queue, declaredLength: length) { [weak self] data in
                self?.writeBody(data, chunked: chunked)
            }
            ex.writer = writer
            let queue = context.queue
            let logger = context.logger
            Task {
                var failure: Error?
                do { try await producer(writer) } catch { failure = error }
                let outcome = failure
                queue.async { [weak self] in self?.streamEnded(ex, failure: outcome, logger: logger) }
            }
        }
        context.flush()
    }

    private func isStream(_ body: ResponseBody) -> Bool { if case .stream = body { return true } else { return false } }
    private func isEmptyBody(_ body: ResponseBody) -> Bool { if case .empty = body { return true } else { return false } }

    /// Queues one streamed chunk; true when the producer should wait for the queue to drain.
    func writeBody(_ data: Data, chunked: Bool) -> Bool {
        guard phase == .exchange, let ex = exchange else { return false }
        ex.lastProgress = .now()
        ex.bodyQueued += Int64(data.count)
        if chunked { context.enqueue(.bytes(ResponseEncoder.chunkPrefix(data.count))) }
        context.enqueue(.data(data))
        if chunked { context.enqueue(.bytes(ResponseEncoder.crlf)) }
        context.flush()
        return context.bufferedOutputBytes >= Int64(limits.bufferSize)
    }

    private func streamEnded(_ ex: HTTP1Exchange, failure: Error?, logger: Logger) {
        guard exchange === ex, phase == .exchange, let writer = ex.writer else { return }
        if let failure {
            logger.error("response stream failed", ["path": ex.request.path, "error": "\(failure)"])
            ex.progress.failed = true
            context.abort("response stream failed")
            return
        }
        if let declared = writer.declaredLength, writer.written != declared {
            logger.error("response stream shorter than its length", ["path": ex.request.path])
            ex.progress.failed = true
            context.abort("short response stream")
            return
        }
        if ex.chunkedResponse { context.enqueue(.bytes(ResponseEncoder.lastChunk)) }
        ex.responseQueued = true
        if !ex.bodyDone { startDiscarding(ex, decideNow: false) }
        context.flush()
        if context.bufferedOutputBytes == 0 { finish(ex) }
    }

    /// The handler answered without reading the whole body: drop the rest, up to
    /// `limits.drainLimit` bytes; past that (or when the client still waits for
    /// `100 Continue`) close after the response.
    private func startDiscarding(_ ex: HTTP1Exchange, decideNow: Bool) {
        guard !ex.discarding else { return }
        ex.discarding = true
        ex.source.fail(RequestBodyError.truncated)
        if ex.expectContinue && !ex.continueSent {
            closeAfterResponse = true
        } else if case .length = ex.framing, ex.lengthRemaining > limits.drainLimit {
            closeAfterResponse = true
        }
        if decideNow, !inbound.isEmpty { process() }
        context.stateChanged()
    }

    func outputProgressed(bufferedBytes: Int64) {
        guard let ex = exchange else { return }
        ex.lastProgress = .now()
        if bufferedBytes < Int64(limits.bufferSize) { ex.writer?.resumeIfWaiting() }
        if bufferedBytes == 0 && ex.responseQueued { finish(ex) }
    }

    /// The response is on the wire: start the next request, drain the rest of the body, or close.
    private func finish(_ ex: HTTP1Exchange) {
        guard exchange === ex else { return }
        ex.progress.finish(complete: true, bodyBytes: ex.bodyQueued)
        if closeAfterResponse {
            phase = .closed
            exchange = nil
            context.closeGracefully()
            return
        }
        if !ex.bodyDone {
            if !ex.discarding { startDiscarding(ex, decideNow: false) }
            if closeAfterResponse { finish(ex); return }
            context.stateChanged()
            return
        }
        exchange = nil
        phase = .idle
        phaseSince = .now()
        process()
        context.stateChanged()
    }

    // MARK: Lifecycle

    func beginGracefulShutdown() {
        shuttingDown = true
        switch phase {
        case .idle:
            phase = .closed
            context.closeNow()
        case .head, .exchange:
            closeAfterResponse = true
            if let ex = exchange, ex.responseQueued, context.bufferedOutputBytes == 0 { finish(ex) }
        case .closed:
            break
        }
    }

    func connectionClosed() {
        phase = .closed
        if let ex = exchange {
            ex.source.fail(RequestBodyError.truncated)
            ex.writer?.close()
            ex.progress.finish(complete: false, bodyBytes: bodyWritten(ex))
        }
        exchange = nil
        inbound = []
    }

    var isIdle: Bool { phase == .idle && inbound.isEmpty }

    /// Body bytes of `ex` the transport took: what was written since its head began, less
    /// the head (chunk framing of a chunked body counts in).
    private func bodyWritten(_ ex: HTTP1Exchange) -> Int64 {
        let sent = context.writtenOutputBytes - ex.wireStart - ex.headBytes
        return max(0, min(ex.bodyQueued, sent))
    }

    var deadline: DispatchTime? {
        switch phase {
        case .idle: return phaseSince + limits.idleTimeout
        case .head: return phaseSince + limits.headerTimeout
        case .exchange:
            guard let ex = exchange else { return nil }
            let waiting = (ex.source.isWaiting && !ex.bodyDone) || (ex.writer?.isWaiting ?? false)
                || (ex.responseQueued && context.bufferedOutputBytes > 0) || (ex.discarding && !ex.bodyDone)
            return waiting ? ex.lastProgress + limits.ioTimeout : nil
        case .closed: return nil
        }
    }

    func deadlineReached(_ now: DispatchTime) {
        switch phase {
        case .idle:
            phase = .closed
            context.closeNow()
        case .head:
            reject(408, "request head not received in time")
        case .exchange:
            context.abort("I/O timeout")
        case .closed:
            break
        }
    }
}
