import Dispatch
import Foundation
import Synchronization

/// One accepted socket: its transport, its registration with an ``EventLoop`` (readiness),
/// a Dispatch timer, output queue and codec. All state lives on `queue`, which targets the
/// loop's queue; handlers reach it by hopping there.
final class Connection: ConnectionContext, EventLoopClient, @unchecked Sendable {
    enum Phase { case handshaking, open, lingering, closed }

    let queue: DispatchQueue
    let executor: ConnectionExecutor
    let configuration: HTTPServerConfiguration
    let logger: Logger
    let handler: HTTPHandler
    let remoteAddress: String
    var isTLS: Bool { transport.isTLS }
    let transport: Transport
    private let loop: EventLoop
    /// The loop registration; nil before ``start()`` and after the close.
    private var loopToken: UInt64?
    private let timer: DispatchSourceTimer
    private var readActive = false
    private var writeActive = false
    private var timerDeadline: DispatchTime?
    private(set) var phase: Phase = .handshaking
    private var codec: ConnectionCodec?
    private var output = OutputQueue()
    private var flushing = false
    private var flushAgain = false
    private var writeBlocked = false
    /// TLS: a write is waiting for the socket to become readable (renegotiation, key update).
    private var writeWaitsForRead = false
    /// TLS: a read is waiting for the socket to become writable.
    private var readWaitsForWrite = false
    private var handshakeWantsRead = true
    private var inputClosed = false
    private var closeWhenFlushed = false
    private var lingerDeadline: DispatchTime = .distantFuture
    private let handshakeDeadline: DispatchTime
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let onClose: (Connection) -> Void
    private var shutdownRequested = false
    /// When the connection last became idle (uptime nanoseconds), 0 while busy or closed.
    /// Read by the server off the connection's queue to pick the oldest idle connection.
    let idleSince = Atomic<UInt64>(0)
    /// Admitted into a reserved slot over the limit: closed as soon as it has answered a request.
    var closeAfterFirstRequest = false
    private var servedRequest = false

    /// The server's descriptor count, which HTTP/2 stream admission reads.
    let descriptors: DescriptorLedger

    init(transport: Transport, remoteAddress: String, configuration: HTTPServerConfiguration, logger: Logger,
         handler: @escaping HTTPHandler, descriptors: DescriptorLedger, onClose: @escaping (Connection) -> Void) {
        self.transport = transport
        self.descriptors = descriptors
        self.remoteAddress = remoteAddress
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        self.onClose = onClose
        loop = EventLoop.next()
        queue = DispatchQueue(label: "wharf.http.connection", target: loop.queue)
        executor = ConnectionExecutor(queue: queue)
        timer = DispatchSource.makeTimerSource(queue: queue)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        handshakeDeadline = .now() + configuration.limits.headerTimeout
    }

    deinit { readBuffer.deallocate() }

    /// Registers with the loop and starts the timer; call once, right after accept.
    func start() {
        queue.async { [self] in
            timer.setEventHandler { [unowned self] in self.timerFired() }
            timer.resume()
            loopToken = loop.register(fd: transport.descriptor, client: self)
            guard loopToken != nil else {
                logger.warn("cannot watch connection", ["remote": remoteAddress, "error": String(cString: strerror(errno))])
                finalClose()
                return
            }
            if transport.isTLS {
                advanceHandshake()
            } else {
                openCodec()
            }
        }
    }

    // MARK: Events

    /// From the loop, on `queue`: only what is being waited for is acted on. An edge that
    /// comes while nothing waits is not lost: when a wait begins, ``stateChanged()`` tries
    /// the operation once before relying on the next edge.
    func socketReady(readable r: Bool, writable w: Bool) {
        if r, readActive { readable() }
        if w, writeActive { writable() }
    }

    private func readable() {
        switch phase {
        case .handshaking: advanceHandshake(); return
        case .closed: return
        case .lingering: drainLingering(); return
        case .open: break
        }
        if writeWaitsForRead { writeWaitsForRead = false; flush() }
        readLoop()
        stateChanged()
    }

    private func readLoop() {
        var budget = 1 << 20
        while phase == .open, !inputClosed, let codec, codec.wantsInput {
            let result: TransportResult
            if let limit = codec.bodyReadLimit {
                result = readBody(limit, into: codec)
            } else {
                result = transport.read(into: readBuffer)
                if case .bytes(let n) = result { codec.received(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])) }
            }
            switch result {
            case .bytes(let n):
                budget -= n
                if budget <= 0 {
                    // Bytes may remain (edge-triggered: no new event for them): come back
                    // after other work on the loop has had its turn.
                    queue.async { [weak self] in if let self, self.readActive { self.readable() } }
                    return
                }
            case .wouldBlock(let wantsRead):
                if !wantsRead { readWaitsForWrite = true }
                return
            case .closed:
                inputClosed = true
                codec.inputEnded()
                return
            case .failed(let reason):
                abort(reason)
                return
            }
        }
    }

    /// Reads up to `limit` request-body bytes straight into a buffer that becomes the body
    /// chunk: one large read and no copy between the socket and the handler. Buffers come
    /// from ``BodyBufferPool`` (limits above the pool's size read into the small buffer
    /// through the codec's copying path). A short read is copied out instead and the buffer
    /// goes back to the pool, so a chunk's buffer is never more than twice its size and an
    /// idle connection holds none. Plain sockets take one read (a short read means the
    /// socket is drained); TLS fills the buffer record by record until it would block.
    private func readBody(_ limit: Int, into codec: ConnectionCodec) -> TransportResult {
        let pool = BodyBufferPool.shared
        guard limit <= pool.bufferSize else {
            let r = transport.read(into: readBuffer)
            if case .bytes(let n) = r { codec.received(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])) }
            return r
        }
        guard let buffer = pool.take() else { return .failed("out of memory for a request body buffer") }
        var filled = 0
        var last = TransportResult.bytes(0)
        while filled < limit {
            let r = transport.read(into: UnsafeMutableRawBufferPointer(start: buffer + filled, count: limit - filled))
            guard case .bytes(let n) = r else { last = r; break }
            filled += n
            if !transport.isTLS { break }
        }
        if filled * 2 >= pool.bufferSize {
            codec.receivedBody(pool.data(buffer, count: filled))
        } else {
            if filled > 0 { codec.receivedBody(Data(bytes: buffer, count: filled)) }
            pool.give(buffer)
        }
        guard filled > 0 else { return last }
        // TLS that hit the end or an error after some bytes: the next read reports it again.
        return .bytes(filled)
    }

    private func writable() {
        switch phase {
        case .handshaking: advanceHandshake(); return
        case .closed, .lingering: return
        case .open: break
        }
        writeBlocked = false
        if readWaitsForWrite { readWaitsForWrite = false; readLoop() }
        flush()
        stateChanged()
    }

    private func advanceHandshake() {
        switch transport.handshake() {
        case .bytes:
            openCodec()
        case .wouldBlock(let wantsRead):
            handshakeWantsRead = wantsRead
            stateChanged()
        case .closed, .failed:
            logger.debug("TLS handshake failed", ["remote": remoteAddress])
            abort("handshake")
        }
    }

    private func openCodec() {
        phase = .open
        let c: ConnectionCodec
        switch transport.negotiatedProtocol {
        case "h2" where configuration.http2.enabled: c = HTTP2Codec(context: self)
        // Plain listeners: the h2c preface (prior knowledge) selects HTTP/2.
        case nil where !transport.isTLS && configuration.http2.enabled: c = PrefaceDetectingCodec(context: self)
        default: c = HTTP1Codec(context: self)
        }
        codec = c
        c.start()
        if shutdownRequested { c.beginGracefulShutdown() }
        stateChanged()
        // The request may already be here: in the socket (its edge came during the
        // handshake) or in TLS's buffer. Readiness is edge-triggered, so look now.
        readable()
    }

    private func timerFired() {
        timerDeadline = nil
        let now = DispatchTime.now()
        switch phase {
        case .handshaking:
            if now >= handshakeDeadline { abort("TLS handshake timeout"); return }
        case .lingering:
            if now >= lingerDeadline { finalClose(); return }
        case .open:
            if let d = codec?.deadline, now >= d { codec?.deadlineReached(now) }
        case .closed:
            return
        }
        stateChanged()
    }

    // MARK: ConnectionContext

    var bufferedOutputBytes: Int64 { output.bufferedBytes }
    var writtenOutputBytes: Int64 { output.writtenBytes }

    func enqueue(_ item: OutputQueue.Item) {
        guard phase == .open else { return }
        output.append(item)
    }

    func flush() {
        guard phase == .open else { return }
        if flushing { flushAgain = true; return }
        flushing = true
        repeat {
            flushAgain = false
            var progressed = false
            while !output.isEmpty && !writeBlocked && !writeWaitsForRead {
                let result: TransportResult
                if let (region, offset, remaining) = output.firstFile {
                    result = transport.sendFile(region.descriptor, offset: offset, count: Int(min(remaining, 1 << 30)))
                } else {
                    result = output.withLeadingBuffers { transport.write($0) }
                }
                switch result {
                case .bytes(let n):
                    output.consume(n)
                    progressed = true
                case .wouldBlock(let wantsRead):
                    if wantsRead { writeWaitsForRead = true } else { writeBlocked = true }
                case .closed, .failed:
                    flushing = false
                    abort("write failed")
                    return
                }
            }
            if output.isEmpty && closeWhenFlushed {
                flushing = false
                beginLinger()
                return
            }
            if progressed { codec?.outputProgressed(bufferedBytes: output.bufferedBytes) }
        } while flushAgain && phase == .open
        flushing = false
        // A blocked write must arm the write source even when flush ran outside an event.
        if writeBlocked != writeActive || writeWaitsForRead { stateChanged() }
    }

    func stateChanged() {
        guard phase != .closed else { return }
        var wantRead = false
        var wantWrite = false
        switch phase {
        case .handshaking:
            wantRead = handshakeWantsRead
            wantWrite = !handshakeWantsRead
        case .open:
            wantRead = (!inputClosed && (codec?.wantsInput ?? false)) || writeWaitsForRead
            wantWrite = writeBlocked || readWaitsForWrite
        case .lingering:
            wantRead = true
        case .closed:
            break
        }
        // Edge-triggered readiness: a wait that begins tries once (the edge may have passed
        // while nothing waited); after EAGAIN the next edge is sure to come.
        if wantRead != readActive {
            readActive = wantRead
            if wantRead { queue.async { [weak self] in if let self, self.readActive { self.readable() } } }
        }
        if wantWrite != writeActive {
            writeActive = wantWrite
            if wantWrite { queue.async { [weak self] in if let self, self.writeActive { self.writable() } } }
        }
        let deadline: DispatchTime?
        switch phase {
        case .handshaking: deadline = handshakeDeadline
        case .lingering: deadline = lingerDeadline
        case .open: deadline = codec?.deadline
        case .closed: deadline = nil
        }
        if let deadline, timerDeadline == nil || deadline < timerDeadline! {
            timerDeadline = deadline
            timer.schedule(deadline: deadline, leeway: .milliseconds(50))
        }
        noteIdleness()
    }

    /// Keeps ``idleSince`` current; a reserved-slot connection closes once it has answered.
    private func noteIdleness() {
        let idle = phase == .open && (codec?.isIdle ?? false) && output.isEmpty
        if !idle {
            if phase == .open, codec != nil { servedRequest = true }
            if idleSince.load(ordering: .relaxed) != 0 { idleSince.store(0, ordering: .relaxed) }
            return
        }
        if closeAfterFirstRequest && servedRequest {
            queue.async { [weak self] in self?.closeNow() }
            return
        }
        if idleSince.load(ordering: .relaxed) == 0 {
            idleSince.store(max(1, DispatchTime.now().uptimeNanoseconds), ordering: .relaxed)
        }
    }

    /// Closes the connection if it is still idle (the server chose it to admit a new one);
    /// a connection that became busy meanwhile is left alone.
    func closeIfIdle() {
        queue.async { [self] in
            guard phase == .open, codec?.isIdle ?? false, output.isEmpty else { return }
            logger.trace("idle connection closed to admit a new one", ["remote": remoteAddress])
            closeNow()
        }
    }

    func closeGracefully() {
        guard phase == .open else { return }
        closeWhenFlushed = true
        flush()
    }

    func closeNow() {
        guard phase == .open else { return }
        transport.shutdownWrite()
        finalClose()
    }

    func abort(_ reason: String) {
        guard phase != .closed else { return }
        logger.trace("connection closed", ["remote": remoteAddress, "reason": reason])
        finalClose()
    }

    /// Server shutdown: the codec decides what may still finish.
    func requestShutdown() {
        queue.async { [self] in
            shutdownRequested = true
            switch phase {
            case .open: codec?.beginGracefulShutdown()
            case .handshaking: abort("shutdown")
            case .lingering:
                lingerDeadline = min(lingerDeadline, .now() + 0.2)
                stateChanged()
            case .closed: break
            }
        }
    }

    /// Closes now regardless of state (end of the grace period).
    func forceClose() {
        queue.async { [self] in abort("shutdown") }
    }

    // MARK: Closing

    /// Our side is done: FIN, then read and discard what the client still sends for a
    /// short while so unread data does not turn our close into a reset that destroys
    /// the response in flight.
    private func beginLinger() {
        guard phase == .open else { return }
        phase = .lingering
        transport.shutdownWrite()
        output.removeAll()
        let c = codec
        codec = nil
        c?.connectionClosed()
        lingerDeadline = .now() + (shutdownRequested ? 0.2 : 2)
        stateChanged()
        drainLingering()
    }

    private func drainLingering() {
        var budget = 4 << 20
        while budget > 0 {
            switch transport.read(into: readBuffer) {
            case .bytes(let n): budget -= n
            case .wouldBlock: return
            case .closed, .failed: finalClose(); return
            }
        }
        finalClose()
    }

    private func finalClose() {
        guard phase != .closed else { return }
        phase = .closed
        idleSince.store(0, ordering: .relaxed)
        output.removeAll()
        let c = codec
        codec = nil
        c?.connectionClosed()
        timer.cancel()
        readActive = false
        writeActive = false
        let fd = transport.descriptor
        if let token = loopToken { loop.deregister(fd: fd, token: token) }
        loopToken = nil
        // After the calls on the stack that got here have returned.
        queue.async { [self] in
            transport.close()
            Glibc.close(fd)
            onClose(self)
        }
    }
}
