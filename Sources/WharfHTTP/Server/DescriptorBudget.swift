import Foundation
import Synchronization

/// The process's open-file limit, and how many connections fit in it.
///
/// Each connection holds one descriptor, and each request it serves may hold more (an open
/// blob file, a storage socket). A connection limit the descriptor limit cannot hold turns
/// into `EMFILE` on `open` — every blob GET failing — instead of a refused connection, so the
/// server raises its soft limit to the hard one and keeps connections to half of it.
struct DescriptorBudget {
    /// The soft `RLIMIT_NOFILE` after raising it.
    let descriptors: Int

    /// Raises the soft open-file limit to the hard limit (best effort) and reads it back.
    static func raise() -> DescriptorBudget {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return DescriptorBudget(descriptors: 1024) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return DescriptorBudget(descriptors: Int(clamping: limit.rlim_cur))
    }

    /// The connection limit to enforce: `wanted`, lowered so that connections (reserved slots
    /// included) use at most half of the descriptors and the rest stays for files and sockets.
    func connections(wanted: Int, reserved: Int) -> Int {
        max(1, min(wanted, descriptors / 2 - reserved))
    }
}

/// The descriptors the server's connections and HTTP/2 streams may hold, counted as they
/// open and close, so that a new HTTP/2 stream is refused (REFUSED_STREAM) while there is
/// still room, rather than its blob `open` failing with `EMFILE`.
///
/// Each open connection counts twice: its socket, and the one file or storage socket its
/// request in flight may hold (HTTP/1.1 serves one at a time; for HTTP/2 this is its first
/// stream, counted again below, which errs on the safe side). Each HTTP/2 stream counts one.
/// ``reserve`` descriptors always stay free for the listener, the event loops, logs and the
/// storage driver's own sockets.
final class DescriptorLedger: Sendable {
    /// Descriptors never handed to streams.
    static let reserve = 64

    let descriptors: Int
    private let state = Mutex((connections: 0, streams: 0))

    init(descriptors: Int) {
        self.descriptors = descriptors
    }

    func connectionOpened() { state.withLock { $0.connections += 1 } }
    func connectionClosed() { state.withLock { $0.connections -= 1 } }

    /// Admits one more HTTP/2 stream when its descriptor fits; false: refuse it.
    func admitStream() -> Bool {
        state.withLock { s in
            guard 2 * s.connections + s.streams + 1 + Self.reserve <= descriptors else { return false }
            s.streams += 1
            return true
        }
    }

    func streamClosed() { state.withLock { $0.streams -= 1 } }

    /// Streams admitted and not yet closed.
    var openStreams: Int { state.withLock { $0.streams } }
}
