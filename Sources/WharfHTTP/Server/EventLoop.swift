#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Dispatch
import Foundation
import Synchronization

/// Socket readiness for many connections through one epoll descriptor of our own.
///
/// A Dispatch read source per socket costs, for every event, a hand-off from libdispatch's
/// manager thread and a re-arm of the source afterwards: about a quarter of the server's
/// CPU on manifest GETs with 64 connections. Here each socket is registered once,
/// edge-triggered, with a loop; libdispatch watches only the loop's epoll descriptor, and
/// one wake-up delivers every connection that became ready since the last.
///
/// A loop has a serial queue; each connection's queue targets it, so a connection's work
/// and the loop's event handling never run at the same time. Events go to the connection
/// on its own queue (``EventLoopClient/socketReady(readable:writable:)``).
///
/// ```swift
/// let loop = EventLoop.next()
/// let queue = DispatchQueue(label: "connection", target: loop.queue)
/// let token = loop.register(fd: fd, client: connection)   // on `queue`, the client's queue
/// // … later, on `queue`, before closing fd:
/// loop.deregister(fd: fd, token: token)
/// ```
final class EventLoop: @unchecked Sendable {
    /// Loops shared by every server in the process: one per core.
    static let shared: [EventLoop] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).compactMap { i in
        EventLoop(label: "wharf.http.loop.\(i)")
    }
    private static let handedOut = Atomic<UInt64>(0)

    /// The loop for the next connection (round robin over ``shared``).
    static func next() -> EventLoop {
        shared[Int(handedOut.wrappingAdd(1, ordering: .relaxed).newValue % UInt64(shared.count))]
    }

    let queue: DispatchQueue
    private let epoll: Int32
    private let source: DispatchSourceRead
    /// Registered clients by token (touched only on ``queue`` or a queue targeting it).
    private var clients: [UInt64: UnownedClient] = [:]
    private var nextToken: UInt64 = 1
    private let events: UnsafeMutablePointer<epoll_event>
    private static let batch: Int32 = 128

    private struct UnownedClient {
        unowned let client: EventLoopClient
    }

    private init?(label: String) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { return nil }
        epoll = fd
        queue = DispatchQueue(label: label)
        events = .allocate(capacity: Int(Self.batch))
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [unowned self] in self.drain() }
        source.resume()
    }

    /// Watches `fd` for `client` (call on the client's queue, which targets ``queue``);
    /// returns the token for ``deregister(fd:token:)``, or nil when the kernel refuses.
    func register(fd: Int32, client: EventLoopClient) -> UInt64? {
        let token = nextToken
        nextToken += 1
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = token
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { return nil }
        clients[token] = UnownedClient(client: client)
        return token
    }

    /// Stops watching `fd`; call before closing it, on a queue targeting ``queue``.
    func deregister(fd: Int32, token: UInt64) {
        clients[token] = nil
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
    }

    private func drain() {
        while true {
            let n = epoll_wait(epoll, events, Self.batch, 0)
            if n <= 0 { return }
            for i in 0..<Int(n) {
                let e = events[i]
                guard let entry = clients[e.data.u64] else { continue }
                let bits = e.events
                let readable = bits & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
                let writable = bits & (EPOLLOUT.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
                let client = entry.client
                // On the client's own queue (it targets ours: it runs right after this block,
                // on this thread), so code that asks "am I on the connection's queue" holds.
                client.queue.async { client.socketReady(readable: readable, writable: writable) }
            }
            if n < Self.batch { return }
        }
    }
}

/// What an ``EventLoop`` tells a registered connection.
protocol EventLoopClient: AnyObject {
    /// The client's serial queue, targeting its loop's ``EventLoop/queue``; events run on it.
    var queue: DispatchQueue { get }
    /// The socket became readable and/or writable (edge-triggered: say it once per change).
    func socketReady(readable: Bool, writable: Bool)
}
