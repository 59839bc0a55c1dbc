import Foundation
import WharfHTTP
import WharfStorage

/// The registry's health: healthy while the storage driver answers a `stat` of its
/// root within ``timeout`` (a "not found" is an answer: an empty root is healthy) and no
/// check of the ``HealthMonitor`` (`health.*`) is failing. Without
/// `health.storagedriver` the driver is asked on each probe; with it, its periodic check
/// (interval, threshold) decides. Backs `/healthz` and `/` (200 or 503) and
/// `/debug/health` (JSON, one entry per check).
public struct HealthCheck: Sendable {
    let driver: StorageDriver
    /// Seconds the storage driver gets to answer.
    var timeout: Double = 5
    /// The periodic checks, when `health.*` configures any.
    var monitor: HealthMonitor?

    /// The name of the storage driver's check.
    public static func storageCheckName(_ driver: StorageDriver) -> String { "storagedriver_\(driver.name)" }

    /// Health over `driver` and `monitor`'s checks.
    public init(driver: StorageDriver, timeout: Double = 5, monitor: HealthMonitor? = nil) {
        self.driver = driver
        self.timeout = timeout
        self.monitor = monitor
    }

    /// The periodic `health.storagedriver` check over `driver`.
    public static func storageCheck(_ driver: StorageDriver, interval: Double, threshold: Int, timeout: Double = 5) -> HealthMonitor.Check {
        let check = HealthCheck(driver: driver, timeout: timeout)
        return HealthMonitor.Check(name: storageCheckName(driver), interval: interval, threshold: threshold) { await check.storageProblem() }
    }

    /// Every check's name and its problem (nil when passing), storage driver first.
    func results() async -> [(name: String, problem: String?, lastError: String?)] {
        var out: [(String, String?, String?)] = []
        let storageName = Self.storageCheckName(driver)
        if monitor?.monitors(namePrefix: storageName) != true {
            let problem = await storageProblem()
            out.append((storageName, problem, problem))
        }
        for s in monitor?.statuses() ?? [] {
            out.append((s.name, s.failing ? (s.lastError ?? "failing") : nil, s.lastError))
        }
        return out
    }

    /// The outcome of one check: nil when healthy, else what went wrong. A driver that
    /// hangs is abandoned after the timeout (its call is left running, not awaited).
    func storageProblem() async -> String? {
        let driver = self.driver
        let timeout = self.timeout
        let once = ResumeOnce()
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            Task {
                let outcome: String?
                do {
                    _ = try await driver.stat("/")
                    outcome = nil
                } catch StorageError.pathNotFound {
                    outcome = nil
                } catch {
                    outcome = "storage driver error: \(error)"
                }
                if once.claim() { continuation.resume(returning: outcome) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if once.claim() { continuation.resume(returning: "storage driver did not answer within \(timeout)s") }
            }
        }
    }

    /// `ok` with 200, or the failing checks' problems with 503.
    public func plainResponse() async -> HTTPResponse {
        let problems = await results().compactMap { r in r.problem.map { "\(r.name): \($0)" } }
        if !problems.isEmpty { return .text(503, problems.joined(separator: "\n") + "\n") }
        return .text(200, "ok\n")
    }

    /// `{"<check>":{"status":"ok"},...}` with 200, or 503 when a check fails; a failing
    /// check has `"error"`, and any check whose last run failed has `"lasterror"`.
    public func jsonResponse() async -> HTTPResponse {
        let results = await results()
        var doc: [String: [String: String]] = [:]
        for r in results {
            var check: [String: String] = ["status": r.problem == nil ? "ok" : "error"]
            if let problem = r.problem { check["error"] = problem }
            if let last = r.lastError { check["lasterror"] = last }
            doc[r.name] = check
        }
        let failing = results.contains { $0.problem != nil }
        let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status: failing ? 503 : 200,
                            headers: ["Content-Type": "application/json; charset=utf-8"], body: .bytes(data))
    }
}

/// A flag that lets exactly one of several racers resume a continuation.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}
