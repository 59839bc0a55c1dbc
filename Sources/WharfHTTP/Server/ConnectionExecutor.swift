import Dispatch

/// Runs an HTTP/1.1 connection's handler tasks for requests without a body on the
/// connection's own serial queue.
///
/// A request head is parsed on the connection queue; the handler task then starts on the
/// same queue right after the read event (no hand-off to the cooperative pool and back),
/// and a handler that never suspends (a cached manifest GET) answers on the thread that
/// read the request. A handler that suspends (storage I/O, body reads) frees the queue
/// and resumes on it. HTTP/1.1 runs one exchange at a time, so nothing else on the queue
/// waits behind it; blocking syscalls still go to the storage driver's own threads.
/// Requests with a body keep the cooperative pool, where hashing an upload overlaps with
/// the queue reading the next bytes.
final class ConnectionExecutor: TaskExecutor, @unchecked Sendable {
    let queue: DispatchQueue
    private static let key = DispatchSpecificKey<ObjectIdentifier>()

    init(queue: DispatchQueue) {
        self.queue = queue
        queue.setSpecific(key: Self.key, value: ObjectIdentifier(self))
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// True on the connection's queue.
    var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.key) == ObjectIdentifier(self) }
}
