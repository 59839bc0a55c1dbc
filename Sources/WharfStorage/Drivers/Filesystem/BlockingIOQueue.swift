import Dispatch

/// Runs blocking syscalls off Swift's cooperative thread pool.
///
/// The cooperative pool has one thread per core; a `read` or `fsync` that stalls on a slow
/// disk would otherwise stall every task in the process. Work is submitted to a concurrent
/// `DispatchQueue` and the calling task is resumed through a checked continuation, which
/// costs a few microseconds per call (see `FilesystemDriverTests.blockingQueueOverhead`).
///
/// ```swift
/// let size = try await BlockingIOQueue.shared.run { try POSIXFileSystem.lstat(path).size }
/// ```
final class BlockingIOQueue: Sendable {
    /// The queue every filesystem driver in the process shares.
    static let shared = BlockingIOQueue(label: "wharf.storage.filesystem.io")

    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated, attributes: .concurrent)
    }

    /// Runs `body` on the I/O queue and returns (or throws) what it did.
    func run<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
