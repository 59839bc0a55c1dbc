import Foundation

/// TCP without encryption: read(2), writev(2) and sendfile(2).
package final class PlainTransport: Transport {
    package let descriptor: Int32
    package var isTLS: Bool { false }
    package var negotiatedProtocol: String? { nil }
    package var hasBufferedInput: Bool { false }

    package init(descriptor: Int32) { self.descriptor = descriptor }

    package func handshake() -> TransportResult { .bytes(0) }

    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        while true {
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock(wantsRead: true) }
            return .failed(String(cString: strerror(e)))
        }
    }

    package func write(_ buffers: [UnsafeRawBufferPointer]) -> TransportResult {
        var iov = buffers.prefix(64).map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        while true {
            let n = iov.withUnsafeMutableBufferPointer { Glibc.writev(descriptor, $0.baseAddress, Int32($0.count)) }
            if n >= 0 { return .bytes(n) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock(wantsRead: false) }
            return .failed(String(cString: strerror(e)))
        }
    }

    package func sendFile(_ file: Int32, offset: Int64, count: Int) -> TransportResult {
        var off = off_t(offset)
        while true {
            let n = Glibc.sendfile(descriptor, file, &off, min(count, 1 << 30))
            if n > 0 { return .bytes(n) }
            if n == 0 { return .failed("file shorter than its region") }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock(wantsRead: false) }
            return .failed(String(cString: strerror(e)))
        }
    }

    package func shutdownWrite() { _ = Glibc.shutdown(descriptor, Int32(SHUT_WR)) }

    package func close() {}
}
