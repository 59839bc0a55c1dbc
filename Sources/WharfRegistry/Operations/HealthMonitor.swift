import Foundation

/// distribution's periodic health checks (`health.storagedriver`, `health.file[]`,
/// `health.http[]`, `health.tcp[]`): each runs on its own interval, and is failing once it
/// has failed `threshold` times in a row (any failure when the threshold is 0 or 1); the
/// first success clears it. ``HealthCheck`` reads the results for `/healthz` and
/// `/debug/health`.
public final class HealthMonitor: @unchecked Sendable {
    /// One check: a probe returning nil when healthy, else what is wrong.
    public struct Check: Sendable {
        /// The name `/debug/health` shows (`storagedriver_s3`, the file, the URI, the address).
        public var name: String
        /// Seconds between runs.
        public var interval: Double
        /// Failures in a row before the check counts as failing.
        public var threshold: Int
        /// Runs the check.
        public var probe: @Sendable () async -> String?

        public init(name: String, interval: Double, threshold: Int, probe: @escaping @Sendable () async -> String?) {
            self.name = name
            self.interval = interval
            self.threshold = threshold
            self.probe = probe
        }
    }

    /// One check's current state.
    public struct Status: Equatable, Sendable {
        public var name: String
        /// True while the check counts as failing.
        public var failing: Bool
        /// The error of the most recent run that failed, nil when the last run passed.
        public var lastError: String?
    }

    private let checks: [Check]
    private let lock = NSLock()
    private var failures: [Int]
    private var lastErrors: [String?]
    private var tasks: [Task<Void, Never>] = []

    /// A monitor for `checks`; nothing runs until ``start()``.
    public init(checks: [Check]) {
        self.checks = checks
        failures = Array(repeating: 0, count: checks.count)
        lastErrors = Array(repeating: nil, count: checks.count)
    }

    /// True when a check named `prefix...` is monitored (the storage driver's, for one).
    public func monitors(namePrefix prefix: String) -> Bool { checks.contains { $0.name.hasPrefix(prefix) } }

    /// Starts every check: the first run at once, then every `interval`.
    public func start() {
        lock.withLock {
            guard tasks.isEmpty else { return }
            tasks = checks.indices.map { index in
                Task { [weak self] in
                    while !Task.isCancelled {
                        guard let self else { return }
                        let check = self.checks[index]
                        self.record(index, await check.probe())
                        try? await Task.sleep(nanoseconds: UInt64(check.interval * 1e9))
                    }
                }
            }
        }
    }

    /// Stops the checks.
    public func stop() {
        lock.withLock {
            for task in tasks { task.cancel() }
            tasks = []
        }
    }

    /// Every check's state, in configuration order.
    public func statuses() -> [Status] {
        lock.withLock {
            checks.indices.map { i in
                Status(name: checks[i].name, failing: failures[i] >= max(checks[i].threshold, 1), lastError: lastErrors[i])
            }
        }
    }

    /// Runs check `index` once, outside its schedule (tests).
    func runForTesting(_ index: Int) async {
        record(index, await checks[index].probe())
    }

    private func record(_ index: Int, _ problem: String?) {
        lock.withLock {
            if let problem {
                failures[index] += 1
                lastErrors[index] = problem
            } else {
                failures[index] = 0
                lastErrors[index] = nil
            }
        }
    }

    /// The `health.file` probe: failing while `path` exists (an operator creates the file
    /// to take a replica out of rotation), as distribution's file checker.
    public static func fileProbe(_ path: String) -> @Sendable () async -> String? {
        { FileManager.default.fileExists(atPath: path) ? "file exists: \(path)" : nil }
    }
}
