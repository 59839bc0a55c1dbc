import Foundation
import WharfStorage

/// The online collector's lease: one small object in storage (`_wharf/gc/lease`) naming
/// the replica that collects and until when. It only saves work: the collection protocol
/// is safe with two collectors, so the lease needs no compare-and-swap and works the same
/// on every driver.
///
/// Acquire: read; when the lease is absent, expired or ours, write ours, wait
/// ``settle``, read again and hold it only when it is still ours. A replica whose read and
/// write took longer than half of ``settle`` gives up for this round: another replica may
/// have read the same expired lease and written after it. A replica that dies holding the
/// lease blocks the others until its ``duration`` runs out.
struct CollectorLease: Sendable {
    struct Record: Codable, Equatable {
        var holder: String
        /// Seconds since 1970.
        var expiresAt: Double
    }

    let driver: StorageDriver
    let path: String
    /// This replica's id.
    let holder: String
    /// How long a written lease lasts without renewal.
    let duration: Double
    /// How long to wait between writing the lease and reading it back.
    var settle: Double { min(1, duration / 10) }

    /// The lease as stored; nil when there is none (or it cannot be read).
    func read() async throws -> Record? {
        let data: Data
        do {
            data = try await driver.getContent(path)
        } catch StorageError.pathNotFound {
            return nil
        }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    /// True when this replica now holds the lease.
    func acquire() async throws -> Bool {
        let start = Date()
        if let current = try await read(), current.holder != holder, current.expiresAt > Date().timeIntervalSince1970 {
            return false
        }
        try await write()
        if Date().timeIntervalSince(start) > settle / 2 { return false }
        try await Task.sleep(nanoseconds: UInt64(settle * 1e9))
        return try await read()?.holder == holder
    }

    /// Extends the lease when it is still ours; false when another replica took it.
    func renew() async throws -> Bool {
        guard try await read()?.holder == holder else { return false }
        try await write()
        return true
    }

    /// Gives the lease up (when it is still ours), so another replica need not wait for the expiry.
    func release() async {
        guard (try? await read())??.holder == holder else { return }
        try? await driver.delete(path)
    }

    private func write() async throws {
        let record = Record(holder: holder, expiresAt: Date().timeIntervalSince1970 + duration)
        try await driver.putContent(path, try JSONEncoder().encode(record))
    }
}
