import Foundation
import WharfStorage

/// The scheduled pruner's run history, shared by every replica through storage, so that
/// `GET /extensions/v2/pruner` tells the same story whichever replica the route picks.
///
/// One small JSON object per run, `_wharf/pruner/<successful|failed>/<finished>-<random>`:
/// the finish time in milliseconds, zero-padded, so names sort by time; the random part
/// keeps two replicas that finish in the same millisecond apart. After writing, a replica
/// deletes all but the newest `limit` runs of that kind; two replicas trimming at once
/// delete the same objects, which is harmless.
struct PruneHistory: Sendable {
    let driver: StorageDriver
    let paths: RegistryPaths
    let successfulLimit: Int
    let failedLimit: Int

    /// Writes `run` and trims its kind to its limit.
    func record(_ run: PruneSchedule.Run) async throws {
        let dir = directory(succeeded: run.succeeded)
        let millis = UInt64(max(0, run.finished.timeIntervalSince1970 * 1000))
        let name = String(repeating: "0", count: max(0, 16 - String(millis).count)) + String(millis)
            + "-" + String(UInt32.random(in: .min ... .max), radix: 16)
        try await driver.putContent(dir + "/" + name, try Self.encoder.encode(run))
        let stale = try await names(in: dir).dropFirst(limit(succeeded: run.succeeded))
        for path in stale {
            try? await driver.delete(path)
        }
    }

    /// The newest runs of each kind, newest first, within the limits. A run that cannot
    /// be read (deleted by a trim meanwhile, or not ours) is skipped.
    func latest() async throws -> (successful: [PruneSchedule.Run], failed: [PruneSchedule.Run]) {
        (try await runs(succeeded: true), try await runs(succeeded: false))
    }

    private func runs(succeeded: Bool) async throws -> [PruneSchedule.Run] {
        var out: [PruneSchedule.Run] = []
        for path in try await names(in: directory(succeeded: succeeded)).prefix(limit(succeeded: succeeded)) {
            guard let data = try? await driver.getContent(path),
                  let run = try? Self.decoder.decode(PruneSchedule.Run.self, from: data) else { continue }
            out.append(run)
        }
        return out
    }

    /// The objects of a kind, newest first; none when the directory does not exist.
    private func names(in dir: String) async throws -> [String] {
        do {
            return try await driver.list(dir).sorted(by: >)
        } catch StorageError.pathNotFound {
            return []
        }
    }

    private func directory(succeeded: Bool) -> String {
        paths.prunerRoot + (succeeded ? "/successful" : "/failed")
    }

    private func limit(succeeded: Bool) -> Int { max(0, succeeded ? successfulLimit : failedLimit) }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .deferredToDate  // a Double that round-trips exactly
        return e
    }()
    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .deferredToDate
        return d
    }()
}

extension RegistryPaths {
    /// `_wharf/pruner/`: the scheduled pruner's shared run history (``PruneHistory``),
    /// beside the collector's `_wharf/gc/`, where no walk of the layout looks.
    var prunerRoot: String { root + "/_wharf/pruner" }
}
