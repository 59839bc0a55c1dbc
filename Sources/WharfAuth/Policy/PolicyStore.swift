import Foundation
import WharfHTTP

/// The policy file, kept current: re-read when its modification time or size changes
/// (checked at most once a second) or on SIGHUP. A file that no longer parses leaves the
/// previous policy in force and is logged.
public final class PolicyStore: @unchecked Sendable {
    /// The file.
    public let path: String
    private let logger: Logger?
    private let lock = NSLock()
    private var policy: AccessPolicy
    private var stamp: (mtime: timespec, size: off_t)?
    private var lastCheck: UInt64 = 0
    private var generationCounter: Int = 0
    private var signalSource: DispatchSourceSignal?

    /// Loads `path`; throws when it cannot be read or parsed (a startup error).
    public init(path: String, logger: Logger? = nil) throws {
        self.path = path
        self.logger = logger
        stamp = Self.stat(path)
        policy = try AccessPolicy.load(path: path)
    }

    /// A store holding `policy` with no file behind it (tests).
    public init(policy: AccessPolicy) {
        path = ""
        logger = nil
        self.policy = policy
    }

    /// Bumped on every reload; caches keyed on it forget identities of an older policy.
    public var generation: Int {
        lock.lock(); defer { lock.unlock() }
        return generationCounter
    }

    /// The policy in force, re-read first when the file changed.
    public func current() -> AccessPolicy {
        guard !path.isEmpty else { return policy }
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        if now &- lastCheck < 1_000_000_000 {
            let p = policy
            lock.unlock()
            return p
        }
        lastCheck = now
        let old = stamp
        lock.unlock()
        let fresh = Self.stat(path)
        if let fresh, let old, fresh.mtime.tv_sec == old.mtime.tv_sec, fresh.mtime.tv_nsec == old.mtime.tv_nsec,
           fresh.size == old.size {
            lock.lock(); defer { lock.unlock() }
            return policy
        }
        reload()
        lock.lock(); defer { lock.unlock() }
        return policy
    }

    /// Re-reads the file now.
    public func reload() {
        guard !path.isEmpty else { return }
        let fresh = Self.stat(path)
        do {
            let p = try AccessPolicy.load(path: path)
            lock.lock()
            policy = p
            stamp = fresh
            generationCounter += 1
            lock.unlock()
            logger?.info("policy reloaded", ["path": path, "users": String(p.users.count), "bindings": String(p.bindings.count)])
        } catch {
            lock.lock()
            stamp = fresh
            lock.unlock()
            logger?.error("policy file not reloaded, keeping the previous policy", ["path": path, "error": "\(error)"])
        }
    }

    /// Re-reads the file whenever the process gets SIGHUP.
    public func reloadOnHangup() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "wharf.policy.sighup"))
        source.setEventHandler { [weak self] in self?.reload() }
        source.resume()
        lock.lock()
        signalSource = source
        lock.unlock()
    }

    private static func stat(_ path: String) -> (mtime: timespec, size: off_t)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let date = attributes[.modificationDate] as? Date else { return nil }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let t = date.timeIntervalSince1970
        return (timespec(tv_sec: Int(t), tv_nsec: Int((t - t.rounded(.down)) * 1e9)), off_t(size))
    }
}
