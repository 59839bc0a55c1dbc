import Foundation

/// Waits for SIGTERM or SIGINT, delivered through Dispatch signal sources (the default
/// handlers are ignored so the process is not killed before it drains). A second signal
/// while draining exits at once.
final class ShutdownSignal: @unchecked Sendable {
    private let queue = DispatchQueue(label: "wharf.signals")
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received: Int32? = nil
    private var continuation: CheckedContinuation<Int32, Never>? = nil

    /// Starts listening; signals arriving before ``wait()`` are remembered.
    init(signals: [Int32] = [SIGTERM, SIGINT]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func deliver(_ number: Int32) {
        lock.lock()
        if received != nil {
            lock.unlock()
            exit(ExitCode.failure)
        }
        received = number
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(returning: number)
    }

    /// Suspends until a signal arrives; returns its number.
    func wait() async -> Int32 {
        await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            lock.lock()
            if let number = received {
                lock.unlock()
                c.resume(returning: number)
            } else {
                continuation = c
                lock.unlock()
            }
        }
    }
}
