import Foundation
import WharfCrypto

/// V4 signed URLs (`GOOG4-RSA-SHA256`) for blob redirects: the client fetches the object
/// straight from GCS with the service account's signature, valid for `redirectexpiry`
/// seconds. Only `host` is signed and the payload is `UNSIGNED-PAYLOAD`, as GCS documents
/// for query-string authentication.
enum GCSSignedURL {
    /// A signed `method` URL for the object `name` of `bucket` at `endpoint` (scheme://host[:port][/base]).
    static func make(method: String, endpoint: String, bucket: String, name: String, account: GCSServiceAccount,
                     expires: Int, date: Date = Date()) throws -> String {
        guard let c = URLComponents(string: endpoint), let scheme = c.scheme, let host = c.host else {
            throw StorageError.unsupported("storage.gcs.endpoint: not a URL: \(endpoint)")
        }
        let hostHeader = c.port.map { "\(host):\($0)" } ?? host
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let timestamp = f.string(from: date)
        let day = String(timestamp.prefix(8))
        let scope = "\(day)/auto/storage/goog4_request"
        let path = c.percentEncodedPath + "/" + GCSClient.encode(bucket) + "/"
            + name.split(separator: "/", omittingEmptySubsequences: false).map { GCSClient.encode(String($0)) }.joined(separator: "/")
        let query = [("X-Goog-Algorithm", "GOOG4-RSA-SHA256"), ("X-Goog-Credential", "\(account.clientEmail)/\(scope)"),
                     ("X-Goog-Date", timestamp), ("X-Goog-Expires", String(expires)), ("X-Goog-SignedHeaders", "host")]
            .map { "\(GCSClient.encode($0.0))=\(GCSClient.encode($0.1))" }.joined(separator: "&")
        let canonical = [method, path, query, "host:\(hostHeader)", "", "host", "UNSIGNED-PAYLOAD"].joined(separator: "\n")
        let toSign = ["GOOG4-RSA-SHA256", timestamp, scope, DigestHasher.hex(Data(canonical.utf8))].joined(separator: "\n")
        let signature = Hex.encode(try account.signer.sign(Data(toSign.utf8)))
        return "\(scheme)://\(hostHeader)\(path)?\(query)&X-Goog-Signature=\(signature)"
    }
}
