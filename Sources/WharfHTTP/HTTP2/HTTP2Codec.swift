import Foundation

/// HTTP/2 (RFC 9113) on one connection: the preface, frames, HPACK, stream states and
/// flow control in both directions, behind the same handler interface as HTTP/1.1.
/// Each stream's handler runs on its own task; its request body is a ``RequestBodySource``
/// whose reads return window to the client; response bytes wait on the stream until the
/// peer's windows allow them (see HTTP2Codec+Output.swift).
final class HTTP2Codec: ConnectionCodec {
    enum Phase { case preface, open, closed }

    /// The client connection preface (RFC 9113 §3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let maxWindow = Int(Int32.max)

    let context: ConnectionContext
    let limits: HTTPLimits
    let settings: HTTP2Configuration
    var phase: Phase = .preface
    private var phaseSince = DispatchTime.now()
    private var frames: HTTP2FrameDecoder
    private var decoder: HPACKDecoder
    var encoder = HPACKEncoder()
    private var sawClientSettings = false
    /// The client acknowledged our SETTINGS (so it knows SETTINGS_MAX_CONCURRENT_STREAMS).
    private var settingsAcknowledged = false
    var streams: [UInt32: HTTP2Stream] = [:]
    /// The highest stream id the client has opened.
    var lastClientStream: UInt32 = 0
    /// Streams we reset recently: late frames on them are dropped silently.
    private var recentlyReset: [UInt32] = []
    /// A header block still waiting for CONTINUATION frames.
    private var headerBlock: (stream: UInt32, bytes: [UInt8], endStream: Bool, frames: Int)?
    // Peer settings and windows.
    var peerInitialWindow = 65535
    var peerMaxFrameSize = 16384
    var connectionSendWindow = 65535
    // Our receive side.
    private var connectionReceiveWindow = 65535
    private var connectionCreditPending = 0
    var goAwaySent = false
    private var peerGoAway = false
    private var lastActivity = DispatchTime.now()
    var lastOutputProgress = DispatchTime.now()
    private var resetCount = 0
    private var controlCount = 0
    private var abuseWindowStart = DispatchTime.now()
    /// Round-robin position of the output scheduler.
    var lastServed: UInt32 = 0

    init(context: ConnectionContext) {
        self.context = context
        limits = context.configuration.limits
        settings = context.configuration.http2
        frames = HTTP2FrameDecoder(maxFrameSize: settings.maxFrameSize)
        decoder = HPACKDecoder(maxTableSize: settings.headerTableSize, maxHeaderListSize: limits.maxHeaderBytes,
                               maxStringLength: limits.maxHeaderBytes)
    }

    func start() {
        phaseSince = .now()
        var ours = [HTTP2Setting(HTTP2Setting.maxConcurrentStreams, UInt32(settings.maxConcurrentStreams)),
                    HTTP2Setting(HTTP2Setting.initialWindowSize, UInt32(settings.initialStreamWindow)),
                    HTTP2Setting(HTTP2Setting.maxFrameSize, UInt32(settings.maxFrameSize)),
                    HTTP2Setting(HTTP2Setting.maxHeaderListSize, UInt32(limits.maxHeaderBytes)),
                    HTTP2Setting(HTTP2Setting.enablePush, 0)]
        if settings.headerTableSize != 4096 { ours.append(HTTP2Setting(HTTP2Setting.headerTableSize, UInt32(settings.headerTableSize))) }
        context.enqueue(.bytes(HTTP2FrameEncoder.settings(ours)))
        if settings.connectionWindow > 65535 {
            context.enqueue(.bytes(HTTP2FrameEncoder.windowUpdate(stream: 0, increment: UInt32(settings.connectionWindow - 65535))))
            connectionReceiveWindow = settings.connectionWindow
        }
        context.flush()
    }

    // MARK: Input

    var wantsInput: Bool {
        phase != .closed && context.bufferedOutputBytes < Int64(limits.bufferSize) * 2
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        guard phase != .closed else { return }
        frames.append(bytes)
        lastActivity = .now()
        do {
            if phase == .preface {
                guard let p = frames.take(Self.preface.count) else {
                    let have = frames.bufferedBytes
                    if let partial = frames.take(have) {
                        if partial != Array(Self.preface.prefix(have)) { throw HTTP2ConnectionError(.protocolError, "invalid connection preface") }
                        frames = HTTP2FrameDecoder(maxFrameSize: settings.maxFrameSize)
                        frames.append(partial)
                    }
                    return
                }
                guard p == Self.preface else { throw HTTP2ConnectionError(.protocolError, "invalid connection preface") }
                phase = .open
            }
            while phase == .open, let frame = try frames.nextFrame() {
                try handle(frame)
            }
        } catch let e as HTTP2ConnectionError {
            connectionError(e)
        } catch {
            connectionError(HTTP2ConnectionError(.internalError, "\(error)"))
        }
        flushCredit()
        pump()
        context.flush()
    }

    /// End of input: an HTTP/2 client never half-closes while it still wants answers (it
    /// would send GOAWAY), so every stream is reset at once and the connection closed. Streams
    /// waiting on flow control would otherwise keep their open files until the I/O timeout.
    func inputEnded() {
        if phase == .closed { return }
        phase = .closed
        if streams.isEmpty {
            context.closeNow()
            return
        }
        let open = streams.count
        failAll()
        context.abort("peer closed the connection with \(open) streams open")
    }

    private func handle(_ frame: HTTP2Frame) throws {
        if let block = headerBlock {
            guard case .continuation(let id, let fragment, let end) = frame, id == block.stream else {
                throw HTTP2ConnectionError(.protocolError, "expected CONTINUATION on stream \(block.stream)")
            }
            let bytes = block.bytes + fragment
            if bytes.count > limits.maxHeaderBytes || block.frames + 1 > settings.maxHeaderBlockFrames {
                throw HTTP2ConnectionError(.enhanceYourCalm, "header block too large or in too many frames")
            }
            headerBlock = (id, bytes, block.endStream, block.frames + 1)
            if end {
                headerBlock = nil
                try headersComplete(stream: id, block: bytes, endStream: block.endStream)
            }
            return
        }
        if !sawClientSettings {
            guard case .settings(false, _) = frame else { throw HTTP2ConnectionError(.protocolError, "first frame is not SETTINGS") }
            sawClientSettings = true
        }
        switch frame {
        case .data(let id, let payload, let endStream, let flowLength):
            try data(id, payload, endStream: endStream, flowLength: flowLength)
        case .headers(let id, let fragment, let endStream, let endHeaders):
            if fragment.count > limits.maxHeaderBytes { throw HTTP2ConnectionError(.enhanceYourCalm, "header block too large") }
            if endHeaders {
                try headersComplete(stream: id, block: fragment, endStream: endStream)
            } else {
                headerBlock = (id, fragment, endStream, 1)
            }
        case .continuation:
            throw HTTP2ConnectionError(.protocolError, "CONTINUATION without HEADERS")
        case .priority:
            try countControl()
        case .rstStream(let id, _):
            if id > lastClientStream { throw HTTP2ConnectionError(.protocolError, "RST_STREAM on idle stream \(id)") }
            if let s = streams[id] {
                closeStream(s, error: RequestBodyError.truncated)
                try countReset()
            } else {
                try countControl()
            }
        case .settings(let ack, let parameters):
            if ack { settingsAcknowledged = true; return }
            try countControl()
            try apply(parameters)
            context.enqueue(.bytes(HTTP2FrameEncoder.settingsAck))
        case .pushPromise:
            throw HTTP2ConnectionError(.protocolError, "PUSH_PROMISE from a client")
        case .ping(let ack, let payload):
            if ack { return }
            try countControl()
            context.enqueue(.bytes(HTTP2FrameEncoder.pingAck(payload)))
        case .goAway:
            peerGoAway = true
            if streams.isEmpty { finishConnection() }
        case .windowUpdate(let id, let increment):
            try windowUpdate(id, increment)
        case .unknown:
            try countControl()
        }
    }

    private func apply(_ parameters: [HTTP2Setting]) throws {
        for p in parameters {
            switch p.identifier {
            case HTTP2Setting.headerTableSize:
                encoder.setMaxTableSize(Int(p.value))
            case HTTP2Setting.enablePush:
                if p.value > 1 { throw HTTP2ConnectionError(.protocolError, "ENABLE_PUSH \(p.value)") }
            case HTTP2Setting.initialWindowSize:
                guard p.value <= UInt32(Self.maxWindow) else { throw HTTP2ConnectionError(.flowControlError, "INITIAL_WINDOW_SIZE \(p.value)") }
                let delta = Int(p.value) - peerInitialWindow
                peerInitialWindow = Int(p.value)
                for s in streams.values {
                    s.sendWindow += delta
                    if s.sendWindow > Self.maxWindow { throw HTTP2ConnectionError(.flowControlError, "stream window overflow") }
                }
            case HTTP2Setting.maxFrameSize:
                guard p.value >= 16384 && p.value <= 16_777_215 else { throw HTTP2ConnectionError(.protocolError, "MAX_FRAME_SIZE \(p.value)") }
                peerMaxFrameSize = Int(p.value)
            default:
                break
            }
        }
    }

    private func windowUpdate(_ id: UInt32, _ increment: UInt32) throws {
        if id == 0 {
            guard increment > 0 else { throw HTTP2ConnectionError(.protocolError, "WINDOW_UPDATE of 0 on the connection") }
            connectionSendWindow += Int(increment)
            if connectionSendWindow > Self.maxWindow { throw HTTP2ConnectionError(.flowControlError, "connection window overflow") }
            return
        }
        if id > lastClientStream { throw HTTP2ConnectionError(.protocolError, "WINDOW_UPDATE on idle stream \(id)") }
        guard let s = streams[id] else { return }
        guard increment > 0 else { streamError(s, .protocolError); return }
        s.sendWindow += Int(increment)
        if s.sendWindow > Self.maxWindow { streamError(s, .flowControlError); return }
        s.lastProgress = .now()
    }

    private func data(_ id: UInt32, _ payload: [UInt8], endStream: Bool, flowLength: Int) throws {
        if flowLength > connectionReceiveWindow { throw HTTP2ConnectionError(.flowControlError, "connection window exceeded") }
        connectionReceiveWindow -= flowLength
        if id > lastClientStream { throw HTTP2ConnectionError(.protocolError, "DATA on idle stream \(id)") }
        if payload.isEmpty && !endStream { try countControl() }
        guard let s = streams[id], !s.remoteEnded else {
            creditConnection(flowLength)
            if let s = streams[id] { streamError(s, .streamClosed) }
            else if !recentlyReset.contains(id) { resetClosed(id, .streamClosed) }
            return
        }
        if flowLength > s.receiveWindow { creditConnection(flowLength); streamError(s, .flowControlError); return }
        s.receiveWindow -= flowLength
        s.lastProgress = .now()
        s.receivedBytes += Int64(payload.count)
        if let declared = s.declaredLength, s.receivedBytes > declared || (endStream && s.receivedBytes != declared) {
            creditConnection(flowLength)
            streamError(s, .protocolError)
            return
        }
        let padding = flowLength - payload.count
        if s.discarding {
            creditConnection(flowLength)
            creditStream(s, flowLength)
        } else {
            if padding > 0 { creditConnection(padding); creditStream(s, padding) }
            if !payload.isEmpty {
                s.appended += Int64(payload.count)
                s.source.append(Data(payload))
            }
        }
        if endStream {
            s.remoteEnded = true
            s.source.finish()
            closeIfDone(s)
        }
    }

    private func headersComplete(stream id: UInt32, block: [UInt8], endStream: Bool) throws {
        var fields: [(name: String, value: String)] = []
        var tooLarge = false
        do {
            fields = try decoder.decode(block)
        } catch HPACKError.headerListTooLarge {
            tooLarge = true
        } catch {
            throw HTTP2ConnectionError(.compressionError, "HPACK: \(error)")
        }
        if let s = streams[id] {
            // Trailers: accepted (and dropped) when they end the stream.
            if s.remoteEnded { streamError(s, .streamClosed); return }
            guard endStream else { streamError(s, .protocolError); return }
            s.remoteEnded = true
            if let declared = s.declaredLength, s.receivedBytes != declared { streamError(s, .protocolError); return }
            s.source.finish()
            closeIfDone(s)
            return
        }
        if id <= lastClientStream {
            // Trailers in flight on a stream we reset are dropped; anything else is an error.
            if recentlyReset.contains(id) { return }
            throw HTTP2ConnectionError(.streamClosed, "HEADERS on closed stream \(id)")
        }
        if id % 2 == 0 { throw HTTP2ConnectionError(.protocolError, "even stream id \(id) from a client") }
        lastClientStream = id
        if goAwaySent || peerGoAway { resetClosed(id, .refusedStream); return }
        // Until the client has our SETTINGS it may open more (it cannot know the limit yet):
        // up to the default of 100 then, the configured limit afterwards.
        let limit = settingsAcknowledged ? settings.maxConcurrentStreams : max(settings.maxConcurrentStreams, 100)
        if streams.count >= limit {
            resetClosed(id, .refusedStream)
            try countReset()
            return
        }
        let s = HTTP2Stream(id: id, queue: context.queue, receiveWindow: settings.initialStreamWindow, sendWindow: peerInitialWindow)
        s.remoteEnded = endStream
        if tooLarge {
            guard admit(id) else { return }
            streams[id] = s
            s.method = "GET"
            s.source.fail(RequestBodyError.truncated)
            s.discarding = true
            respond(s, .text(431, "request header fields too large\n"))
            return
        }
        let head: HTTP2RequestHead
        switch HTTP2RequestHead.parse(fields) {
        case .failure(let why):
            context.logger.debug("malformed HTTP/2 request", ["remote": context.remoteAddress, "reason": why.reason])
            resetClosed(id, .protocolError)
            return
        case .success(let h): head = h
        }
        if endStream, let n = head.contentLength, n != 0 { resetClosed(id, .protocolError); return }
        guard admit(id) else { return }
        streams[id] = s
        s.method = head.method
        s.path = head.path
        if head.path.utf8.count > limits.maxRequestLineBytes {
            s.source.fail(RequestBodyError.truncated)
            s.discarding = true
            respond(s, .text(414, "request line longer than \(limits.maxRequestLineBytes) bytes\n"))
            return
        }
        s.declaredLength = endStream ? 0 : head.contentLength
        let body = RequestBody(source: s.source, declaredLength: s.declaredLength)
        body.maxLength = limits.defaultMaxBodySize
        if endStream { s.source.finish() }
        s.expectContinue = !endStream && head.headers["expect"]?.lowercased() == "100-continue"
        s.source.onRead = { [weak self, weak s] first in
            guard let self, let s else { return }
            self.bodyRead(s, first: first)
        }
        let request = HTTPRequest(method: head.method, target: head.path, version: .http2, headers: head.headers, body: body,
                                  remoteAddress: context.remoteAddress, isTLS: context.isTLS)
        let progress = ResponseProgress(request: request)
        s.progress = progress
        let handler = context.handler
        let logger = context.logger
        let queue = context.queue
        Task {
            let response = await HTTP1Codec.run(handler, request, logger)
            queue.async { [weak self, weak s] in
                if let self, let s { self.respond(s, response) }
                progress.abandoned(status: response.status)
            }
        }
    }

    // MARK: Flow control of request bodies

    /// The handler read from the body: return what it consumed to the client's windows.
    private func bodyRead(_ s: HTTP2Stream, first: Bool) {
        guard streams[s.id] === s else { return }
        if first && s.expectContinue && !s.responseStarted && !s.remoteEnded {
            // The client waits for an interim 100 before sending the body (RFC 9110 §10.1.1).
            s.expectContinue = false
            let block = encoder.encode([(":status", "100")])
            context.enqueue(.bytes(HTTP2FrameEncoder.headers(stream: s.id, block: block, endStream: false, maxFrameSize: peerMaxFrameSize)))
            context.flush()
        }
        let consumed = s.appended - Int64(s.source.bufferedBytes)
        let fresh = Int(consumed - s.credited)
        if fresh > 0 {
            s.credited = consumed
            creditConnection(fresh)
            creditStream(s, fresh)
            flushCredit()
            context.flush()
        }
        context.stateChanged()
    }

    private func creditStream(_ s: HTTP2Stream, _ n: Int) {
        guard !s.remoteEnded else { return }
        s.creditPending += n
        // Batch updates: the client is never blocked with a quarter of its window unreturned.
        if s.creditPending >= settings.initialStreamWindow / 4 {
            context.enqueue(.bytes(HTTP2FrameEncoder.windowUpdate(stream: s.id, increment: UInt32(s.creditPending))))
            s.receiveWindow += s.creditPending
            s.creditPending = 0
        }
    }

    private func creditConnection(_ n: Int) { connectionCreditPending += n }

    func flushCredit() {
        guard phase == .open, connectionCreditPending > 0 else { return }
        let target = max(settings.connectionWindow, 65535)
        if connectionCreditPending >= target / 4 {
            let n = connectionCreditPending
            connectionCreditPending = 0
            connectionReceiveWindow += n
            context.enqueue(.bytes(HTTP2FrameEncoder.windowUpdate(stream: 0, increment: UInt32(n))))
        }
    }

    // MARK: Abuse limits

    private func rollAbuseWindow() {
        let now = DispatchTime.now()
        if now > abuseWindowStart + settings.abuseInterval {
            abuseWindowStart = now
            resetCount = 0
            controlCount = 0
        }
    }

    private func countReset() throws {
        rollAbuseWindow()
        resetCount += 1
        if resetCount > settings.maxResetsPerInterval { throw HTTP2ConnectionError(.enhanceYourCalm, "too many stream resets") }
    }

    private func countControl() throws {
        rollAbuseWindow()
        controlCount += 1
        if controlCount > settings.maxControlFramesPerInterval { throw HTTP2ConnectionError(.enhanceYourCalm, "too many control frames") }
    }

    // MARK: Errors and closing

    /// Resets `s` with `code` (a stream error, RFC 9113 §5.4.2).
    func streamError(_ s: HTTP2Stream, _ code: HTTP2ErrorCode) {
        resetClosed(s.id, code)
        closeStream(s, error: RequestBodyError.truncated)
    }

    /// Sends RST_STREAM for a stream that has no state (any more).
    func resetClosed(_ id: UInt32, _ code: HTTP2ErrorCode) {
        context.enqueue(.bytes(HTTP2FrameEncoder.rstStream(stream: id, code: code)))
        rememberReset(id)
    }

    /// Near the open-file limit a new stream is refused (REFUSED_STREAM: the client may retry
    /// it) while that is still possible, instead of its blob open failing with EMFILE, a 500
    /// for every client. True: admitted, and ``closeStream(_:error:)`` gives it back.
    private func admit(_ id: UInt32) -> Bool {
        if context.descriptors.admitStream() { return true }
        context.logger.warn("HTTP/2 stream refused: open-file budget reached",
                            ["remote": context.remoteAddress, "nofile": String(context.descriptors.descriptors)])
        resetClosed(id, .refusedStream)
        return false
    }

    private func rememberReset(_ id: UInt32) {
        recentlyReset.append(id)
        if recentlyReset.count > 256 { recentlyReset.removeFirst(128) }
    }

    /// Drops the stream's state: fails its body, stops its producer.
    func closeStream(_ s: HTTP2Stream, error: Error?) {
        guard streams[s.id] === s else { return }
        streams[s.id] = nil
        context.descriptors.streamClosed()
        // Bytes the handler never read still count against the connection window: return them.
        let unread = Int(s.appended - s.credited)
        if unread > 0 { s.credited = s.appended; creditConnection(unread); flushCredit() }
        if let error { s.source.fail(error) }
        s.writer?.close()
        s.pending = []
        s.pendingBytes = 0
        s.pendingFile = nil
        s.progress?.finish(complete: s.localEnded)
        if streams.isEmpty { lastActivity = .now() }
        if streams.isEmpty && (goAwaySent || peerGoAway) { finishConnection() }
    }

    /// Both sides ended: the stream is closed. Our side ended first: tell the client to
    /// stop sending the body nobody reads (RST_STREAM NO_ERROR, RFC 9113 §8.1).
    func closeIfDone(_ s: HTTP2Stream) {
        guard s.localEnded else { return }
        if s.remoteEnded {
            closeStream(s, error: nil)
        } else {
            resetClosed(s.id, .noError)
            closeStream(s, error: RequestBodyError.truncated)
        }
    }

    private func connectionError(_ e: HTTP2ConnectionError) {
        guard phase != .closed else { return }
        context.logger.debug("HTTP/2 connection error", ["remote": context.remoteAddress, "code": "\(e.code)", "reason": e.reason])
        context.enqueue(.bytes(HTTP2FrameEncoder.goAway(lastStream: lastClientStream, code: e.code, debug: e.reason)))
        failAll()
        phase = .closed
        context.closeGracefully()
    }

    private func failAll() {
        for s in Array(streams.values) { closeStream(s, error: RequestBodyError.truncated) }
    }

    /// Every stream is done after GOAWAY (ours or the peer's): close.
    private func finishConnection() {
        guard phase != .closed else { return }
        if !goAwaySent {
            goAwaySent = true
            context.enqueue(.bytes(HTTP2FrameEncoder.goAway(lastStream: lastClientStream, code: .noError)))
        }
        phase = .closed
        context.closeGracefully()
    }

    // MARK: Lifecycle

    func beginGracefulShutdown() {
        switch phase {
        case .preface:
            phase = .closed
            context.closeNow()
        case .open:
            if !goAwaySent {
                goAwaySent = true
                context.enqueue(.bytes(HTTP2FrameEncoder.goAway(lastStream: lastClientStream, code: .noError)))
                context.flush()
            }
            if streams.isEmpty { finishConnection() }
        case .closed:
            break
        }
    }

    func connectionClosed() {
        failAll()
        phase = .closed
    }

    var isIdle: Bool { phase == .open && streams.isEmpty && headerBlock == nil }

    var deadline: DispatchTime? {
        switch phase {
        case .closed: return nil
        case .preface: return phaseSince + limits.headerTimeout
        case .open:
            if context.bufferedOutputBytes > 0 { return lastOutputProgress + limits.ioTimeout }
            if streams.isEmpty { return lastActivity + limits.idleTimeout }
            var earliest: DispatchTime?
            for s in streams.values where isStalled(s) {
                let d = s.lastProgress + stallTimeout(s)
                if earliest == nil || d < earliest! { earliest = d }
            }
            return earliest
        }
    }

    /// The I/O timeout, or the shorter flow-control timeout for a response waiting on a window.
    private func stallTimeout(_ s: HTTP2Stream) -> Double {
        let waitsOnWindow = s.outputBytes > 0 && (s.sendWindow <= 0 || connectionSendWindow <= 0)
        return waitsOnWindow ? min(limits.ioTimeout, settings.flowControlTimeout) : limits.ioTimeout
    }

    private func isStalled(_ s: HTTP2Stream) -> Bool {
        (s.source.isWaiting && !s.remoteEnded) || s.hasOutput || (s.writer?.isWaiting ?? false)
    }

    func deadlineReached(_ now: DispatchTime) {
        switch phase {
        case .closed: return
        case .preface:
            phase = .closed
            context.closeNow()
        case .open:
            if context.bufferedOutputBytes > 0 && now >= lastOutputProgress + limits.ioTimeout {
                failAll()
                context.abort("I/O timeout")
                return
            }
            if streams.isEmpty {
                if now >= lastActivity + limits.idleTimeout { finishConnection() }
                return
            }
            // A stream that made no progress (zero window, silent client): reset it alone.
            for s in Array(streams.values) where isStalled(s) && now >= s.lastProgress + stallTimeout(s) {
                streamError(s, .cancel)
            }
            context.flush()
        }
    }
}
