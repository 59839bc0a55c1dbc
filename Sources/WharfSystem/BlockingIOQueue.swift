#if canImport(CLinux)
import CLinux
#endif
import Foundation

/// Runs blocking syscalls off Swift's cooperative thread pool, on threads of its own: the
/// filesystem driver's file I/O and ``HTTPClient``'s socket I/O.
///
/// The cooperative pool has one thread per core; a `read` or `fsync` that stalls on a slow
/// disk (or an NFS/RWX volume) would stall every task in the process. Jobs go to a queue
/// served by up to ``maxThreads`` dedicated threads, started on demand and ended after
/// a few idle seconds; the calling task is resumed through a checked continuation
/// (a few tens of microseconds per call, see `FilesystemDriverTests.blockingQueueOverhead`).
///
/// Why not a concurrent `DispatchQueue`: on Linux libdispatch runs a concurrent queue on
/// about one thread per core, so 16 blocked 100 ms calls took 0.8 s on 2 cores instead of
/// 0.1 s. This is distribution's `maxthreads` (default 100): the bound on concurrent
/// blocking calls.
///
/// ```swift
/// let io = BlockingIOQueue(maxThreads: 100)
/// let data = try await io.run { try POSIXFileSystem.readAll(host, path: path) }
/// ```
package final class BlockingIOQueue: @unchecked Sendable {
    /// A queue for callers that do not configure their own.
    package static let shared = BlockingIOQueue(maxThreads: 100)

    /// The most threads running jobs at once.
    package let maxThreads: Int
    private let idleTimeout: TimeInterval
    /// What `ps -T` and /proc/<pid>/task/*/comm show for its threads (at most 15 bytes).
    private let threadName: String
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var threads = 0
    private var idle = 0

    package init(maxThreads: Int, idleTimeout: TimeInterval = 5, threadName: String = "wharf-storage") {
        self.threadName = threadName
        self.maxThreads = max(1, maxThreads)
        self.idleTimeout = idleTimeout
    }

    /// Runs `body` on one of the queue's threads and returns (or throws) what it did.
    package func run<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `job` on one of the queue's threads without waiting for it.
    package func enqueue(_ job: @escaping @Sendable () -> Void) {
        submit(job)
    }

    /// The number of threads alive now (for tests).
    package var threadCount: Int { condition.withLock { threads } }

    private func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        // Jobs beyond the idle threads (some may not have woken yet) need a new thread.
        let pending = jobs.count - head
        let spawn = pending > idle && threads < maxThreads
        if spawn { threads += 1 } else { condition.signal() }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in
                // Named from inside (Foundation on Linux does not apply `Thread.name` set before
                // start), at most 15 bytes: `ps -T`, /proc/<pid>/task/*/comm show the I/O threads.
                #if os(Linux)
                wharf_name_current_thread(threadName)
                #endif
                work()
            }
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        while true {
            while head == jobs.count {
                idle += 1
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
                idle -= 1
                if !signalled, head == jobs.count {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024, head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
            condition.lock()
        }
    }
}
