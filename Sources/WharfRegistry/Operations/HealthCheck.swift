import Foundation
import WharfHTTP
import WharfStorage

/// The registry's health: healthy while the storage driver answers a `stat` of its
/// root within ``timeout`` (a "not found" is an answer: an empty root is healthy).
/// Backs `/healthz` and `/` (200 or 503) and `/debug/health` (JSON, one entry per check).
struct HealthCheck: Sendable {
    let driver: StorageDriver
    /// Seconds the storage driver gets to answer.
    var timeout: Double = 5

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

    /// `ok` with 200, or the problem with 503.
    func plainResponse() async -> HTTPResponse {
        if let problem = await storageProblem() { return .text(503, problem + "\n") }
        return .text(200, "ok\n")
    }

    /// `{"storagedriver_<name>":{"status":"ok"}}` with 200, or the failing check's error with 503.
    func jsonResponse() async -> HTTPResponse {
        let problem = await storageProblem()
        var check: [String: String] = ["status": problem == nil ? "ok" : "error"]
        if let problem { check["error"] = problem }
        let doc = ["storagedriver_\(driver.name)": check]
        let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status: problem == nil ? 200 : 503,
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
