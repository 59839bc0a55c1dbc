import Dispatch
import Foundation

/// The codec of a plain (h2c) listener with HTTP/2 enabled: reads until the first bytes
/// either are the HTTP/2 connection preface (prior knowledge, RFC 9113 §3.3) or cannot
/// be, then hands the connection and those bytes to ``HTTP2Codec`` or ``HTTP1Codec``.
final class PrefaceDetectingCodec: ConnectionCodec {
    private let context: ConnectionContext
    private var inner: ConnectionCodec?
    private var buffered: [UInt8] = []
    private let since = DispatchTime.now()
    /// When the first byte arrived: a preface trickling in gets the header timeout, like a request head.
    private var firstByteAt: DispatchTime?
    private var ended = false

    init(context: ConnectionContext) { self.context = context }

    func start() {}

    func received(_ bytes: UnsafeRawBufferPointer) {
        if let inner { inner.received(bytes); return }
        if firstByteAt == nil { firstByteAt = .now() }
        buffered.append(contentsOf: bytes)
        let preface = HTTP2Codec.preface
        let n = min(buffered.count, preface.count)
        if buffered[0..<n].elementsEqual(preface[0..<n]) {
            if buffered.count < preface.count { return }
            choose(HTTP2Codec(context: context))
        } else {
            choose(HTTP1Codec(context: context))
        }
    }

    private func choose(_ codec: ConnectionCodec) {
        inner = codec
        codec.start()
        let bytes = buffered
        buffered = []
        bytes.withUnsafeBytes { codec.received($0) }
        context.stateChanged()
    }

    func inputEnded() {
        if let inner { inner.inputEnded(); return }
        ended = true
        context.closeNow()
    }

    var wantsInput: Bool { inner?.wantsInput ?? !ended }

    var bodyReadLimit: Int? { inner?.bodyReadLimit }

    func receivedBody(_ data: Data) {
        if let inner { inner.receivedBody(data) } else { data.withUnsafeBytes { received($0) } }
    }

    func outputProgressed(bufferedBytes: Int64) { inner?.outputProgressed(bufferedBytes: bufferedBytes) }

    func beginGracefulShutdown() {
        if let inner { inner.beginGracefulShutdown(); return }
        ended = true
        context.closeNow()
    }

    func connectionClosed() { inner?.connectionClosed() }

    var isIdle: Bool { inner?.isIdle ?? (firstByteAt == nil) }

    var deadline: DispatchTime? {
        if let inner { return inner.deadline }
        if let firstByteAt { return firstByteAt + context.configuration.limits.headerTimeout }
        return since + context.configuration.limits.idleTimeout
    }

    func deadlineReached(_ now: DispatchTime) {
        if let inner { inner.deadlineReached(now); return }
        ended = true
        context.closeNow()
    }
}
