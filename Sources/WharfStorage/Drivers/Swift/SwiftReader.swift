import Foundation
import WharfHTTPClient

extension SwiftDriver {
    /// A reader of the object at `path` from `offset`: streamed GETs with `Range` (an SLO
    /// answers with its joined bytes), resumed after a connection failure with `If-Match`
    /// of the first answer's ETag (see ``ResumingObjectReader``).
    func objectReader(_ path: String, offset: Int64, size: Int64) -> StorageReader {
        let resource = client.resource(key(path))
        return ResumingObjectReader(offset: offset, size: size, chunkSize: readChunkSize, open: { [client] start, etag in
            var headers = [("Range", "bytes=\(start)-")]
            if let etag { headers.append(("If-Match", etag)) }
            let answer = try await client.openStream(resource, headers: headers)
            return (answer.body, answer.headers["Etag"])
        }, isConnectionFailure: { ($0 as? SwiftError)?.status == 0 },
           mapError: { self.storageError($0, path: path, operation: "Read") })
    }
}
