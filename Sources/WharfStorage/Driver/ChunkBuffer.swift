import Foundation

/// What object-store writers do with incoming bytes: gather them into whole chunks (S3
/// parts, GCS resumable chunks) and hand each full chunk to `send`, so at most one chunk
/// is in memory. Each byte is copied at most once (into the buffer); whole chunks of a
/// large write go out as slices of it. What is short of a chunk stays in ``bytes`` for
/// the writer's last request.
struct ChunkBuffer {
    /// Bytes not yet sent (fewer than one chunk between calls).
    var bytes = Data()

    /// Adds `data`, sending every chunk of `size` bytes that fills up.
    mutating func append(_ data: Data, chunk size: Int, send: (Data) async throws -> Void) async throws {
        var rest = data[...]
        while !rest.isEmpty {
            if bytes.isEmpty, rest.count >= size {
                try await send(Data(rest.prefix(size)))
                rest = rest.dropFirst(size)
                continue
            }
            let take = min(size - bytes.count, rest.count)
            if bytes.isEmpty { bytes.reserveCapacity(size) }
            bytes.append(rest.prefix(take))
            rest = rest.dropFirst(take)
            if bytes.count == size {
                try await send(bytes)
                bytes.removeAll(keepingCapacity: true)
            }
        }
    }
}
