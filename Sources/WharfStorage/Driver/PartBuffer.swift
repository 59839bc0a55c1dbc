import Foundation

/// The bookkeeping object-store writers share (S3 parts, Azure blocks): how many bytes the
/// writer holds across sessions, whether this session changed anything, and the buffer
/// that gathers bytes into parts of exactly ``partSize``, each sent as soon as it is full.
///
/// A part of a large write that starts on a part boundary goes out as a slice of the
/// caller's data, uncopied; everything else is copied once, into ``pending``. So a writer
/// holds at most one part, whatever the blob's size. ``written`` may be read from any
/// thread while a write is under way.
final class PartBuffer: @unchecked Sendable {
    /// Bytes per part.
    let partSize: Int
    /// Bytes not sent yet (less than one part).
    var pending = Data()
    /// True once this session changed the content (or started it empty).
    var dirty: Bool
    private let lock = NSLock()
    private var total: Int64

    /// A buffer for a writer whose content already holds `resumedSize` bytes (`dirty`:
    /// whether the writer starts a new, empty content).
    init(partSize: Int, resumedSize: Int64 = 0, dirty: Bool) {
        self.partSize = partSize
        total = resumedSize
        self.dirty = dirty
    }

    /// Bytes written so far, across every session of the writer's content.
    var written: Int64 { lock.withLock { total } }

    /// Adds `data`, calling `send` with every part it completes, in order.
    func write(_ data: Data, send: (Data) async throws -> Void) async throws {
        if data.isEmpty { return }
        dirty = true
        lock.withLock { total += Int64(data.count) }
        var rest = data[...]
        while !rest.isEmpty {
            if pending.isEmpty, rest.count >= partSize {
                try await send(rest.prefix(partSize))
                rest = rest.dropFirst(partSize)
                continue
            }
            let take = min(partSize - pending.count, rest.count)
            if pending.isEmpty { pending.reserveCapacity(partSize) }
            pending.append(rest.prefix(take))
            rest = rest.dropFirst(take)
            if pending.count == partSize {
                try await send(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
    }
}
