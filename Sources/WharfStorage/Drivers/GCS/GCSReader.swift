import Foundation
import WharfHTTPClient

extension GCSDriver {
    /// A reader of the object at `path` from `offset`: streamed `alt=media` GETs with
    /// `Range`, resumed after a connection failure pinned to the first answer's generation
    /// (`ifGenerationMatch`; see ``ResumingObjectReader``).
    func objectReader(_ path: String, offset: Int64, size: Int64) -> StorageReader {
        let object = client.objectPath(key(path))
        return ResumingObjectReader(offset: offset, size: size, chunkSize: readChunkSize, open: { [client] start, generation in
            var q = [("alt", "media")]
            if let generation { q.append(("ifGenerationMatch", generation)) }
            let answer = try await client.openStream(target: GCSClient.target(object, q), headers: [("Range", "bytes=\(start)-")])
            return (answer.body, answer.headers["x-goog-generation"])
        }, isConnectionFailure: { ($0 as? GCSError)?.status == 0 },
           mapError: { self.storageError($0, path: path, operation: "Read") })
    }
}
