import Foundation
import WharfAPI
import WharfStorage

/// What an online collection pass intends to delete, published in storage before it
/// deletes anything, so that a manifest PUT on any replica can see the race it is in
/// (see docs/operations.md, "Online garbage collection").
///
/// Each collector writes its own plan (`_wharf/gc/plans/<holder>`): two collectors that
/// both think they hold the lease never hide each other's plan.
struct CollectionPlan: Codable, Sendable, Equatable {
    /// A manifest revision of a repository the pass will remove (with `deleteuntagged`).
    struct Revision: Codable, Sendable, Hashable {
        var repository: String
        var digest: String
    }

    /// The collector that wrote the plan (its lease holder id).
    var holder: String
    /// Blobs (digest strings) that were unmarked and older than the grace period.
    var blobs: [String]
    /// Untagged revisions older than the grace period.
    var revisions: [Revision]
    var publishedAt: Date
    /// Mark 2 starts after this time (on the collector's clock).
    var sweepAfter: Date
    /// The collector deletes nothing at or after this time, less ``clockSkew``.
    var expiresAt: Date
    /// The largest clock difference between replicas this plan tolerates, in seconds.
    var clockSkew: Double

    /// True while the plan may still lead to deletions, seen from a clock that may be
    /// ``clockSkew`` behind the collector's.
    func isLive(now: Date) -> Bool {
        now.addingTimeInterval(-clockSkew) < expiresAt
    }

    /// True when a PUT that wrote its links before `now` may be missed by mark 2: the
    /// collector's clock may already be past ``sweepAfter``.
    func mayHaveSwept(now: Date) -> Bool {
        now.addingTimeInterval(clockSkew) >= sweepAfter
    }
}

/// Where the online collector keeps its lease and plans: beside the layout's `blobs/` and
/// `repositories/`, where neither distribution's tools nor Wharf's own walks look.
extension RegistryPaths {
    /// `_wharf/gc/`.
    var collectorRoot: String { root + "/_wharf/gc" }
    /// `_wharf/gc/lease`: who collects, until when.
    var collectorLease: String { collectorRoot + "/lease" }
    /// `_wharf/gc/plans/`: one plan per collector in its sweep.
    var collectorPlans: String { collectorRoot + "/plans" }
    /// The plan of collector `holder`.
    func collectorPlan(_ holder: String) -> String { collectorPlans + "/" + holder }
}

/// Reading and writing plans. JSON with ISO 8601 dates (fractional seconds).
enum CollectionPlans {
    static func encode(_ plan: CollectionPlan) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.timeIntervalSince1970)
        }
        return try encoder.encode(plan)
    }

    static func decode(_ data: Data) -> CollectionPlan? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: try decoder.singleValueContainer().decode(Double.self))
        }
        return try? decoder.decode(CollectionPlan.self, from: data)
    }

    /// Every plan in storage, read fresh (never cached). A plan that cannot be read is
    /// returned as one that lists everything: a PUT then refuses rather than risk a loss.
    static func all(driver: StorageDriver, paths: RegistryPaths) async throws -> [CollectionPlan?] {
        let names: [String]
        do {
            names = try await driver.list(paths.collectorPlans)
        } catch StorageError.pathNotFound {
            return []
        }
        var plans: [CollectionPlan?] = []
        for path in names {
            do {
                plans.append(decode(try await driver.getContent(path)))
            } catch StorageError.pathNotFound {
                continue
            }
        }
        return plans
    }
}
