import Foundation
import WharfHTTPClient

extension AzureDriver {
    /// A reader of the blob at `path` from `offset`: streamed Get Blob with
    /// `x-ms-range: bytes=<offset>-`, resumed after a cut connection pinned to the first
    /// answer's ETag (`If-Match`; see ``ResumingObjectReader``).
    func blobReader(_ path: String, offset: Int64, size: Int64) -> StorageReader {
        let name = blobName(path)
        return ResumingObjectReader(offset: offset, size: size, chunkSize: readChunkSize, open: { [client] start, etag in
            var headers = ["x-ms-range": "bytes=\(start)-"]
            if let etag { headers["If-Match"] = etag }
            let opened = try await client.openStream(blob: name, headers: headers)
            return (opened.body, opened.headers["etag"])
        }, isConnectionFailure: { ($0 as? AzureError)?.status == 0 },
           mapError: { self.storageError($0, path: path, operation: "GetBlob") })
    }
}
