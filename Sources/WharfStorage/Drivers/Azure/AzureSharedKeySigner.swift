import Foundation
import WharfCrypto

/// Azure Storage's SharedKey scheme for the Blob service: the `Authorization:
/// SharedKey <account>:<signature>` header of a request, and the signature of a
/// service SAS (a read-only URL handed to clients in redirects).
///
/// The string to sign is the documented one: the verb, eleven standard headers
/// (`Content-Length` empty when 0) and `Range`, the `x-ms-*` headers (lower-case,
/// sorted, `name:value`), then the canonicalized resource `/<account><url path>` followed
/// by each query parameter as `\n<name>:<decoded value>`, sorted by name. The signature is
/// base64 HMAC-SHA256 of it, keyed by the base64-decoded account key.
///
/// ```swift
/// let signer = try AzureSharedKeySigner(account: "devstoreaccount1", base64Key: key)
/// let auth = signer.authorization(method: "GET", path: "/devstoreaccount1/c/b", query: [], headers: h)
/// ```
public struct AzureSharedKeySigner: Sendable {
    /// The storage account name.
    public let account: String
    private let key: [UInt8]

    /// A signer for `account` with its base64 key.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` when the key is not base64 (the message
    ///   never contains the key).
    public init(account: String, base64Key: String) throws {
        guard let key = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)), !key.isEmpty else {
            throw StorageError.unsupported("storage.azure.accountkey: not a base64 account key")
        }
        self.account = account
        self.key = [UInt8](key)
    }

    /// The standard headers signed by position (after the verb).
    static let standardHeaders = ["content-encoding", "content-language", "content-length", "content-md5", "content-type",
                                  "date", "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range"]

    /// The string to sign for a request. `path` is the URL path as sent (percent-encoded);
    /// `query` holds decoded names and values; header names may have any case.
    public func stringToSign(method: String, path: String, query: [(String, String)], headers: [String: String]) -> String {
        var lower: [String: String] = [:]
        for (k, v) in headers { lower[k.lowercased()] = v }
        if lower["content-length"] == "0" { lower["content-length"] = nil }
        var s = method.uppercased() + "\n"
        for h in Self.standardHeaders { s += (lower[h] ?? "") + "\n" }
        for (k, v) in lower.filter({ $0.key.hasPrefix("x-ms-") }).sorted(by: { $0.key < $1.key }) {
            s += k + ":" + v + "\n"
        }
        s += "/" + account + path
        for (k, v) in query.map({ ($0.0.lowercased(), $0.1) }).sorted(by: { $0.0 < $1.0 }) {
            s += "\n" + k + ":" + v
        }
        return s
    }

    /// The base64 HMAC-SHA256 of `text` under the account key.
    public func signature(_ text: String) -> String {
        Data(HMAC.sign(key: key, message: [UInt8](text.utf8))).base64EncodedString()
    }

    /// The `Authorization` header value for a request (see ``stringToSign(method:path:query:headers:)``).
    public func authorization(method: String, path: String, query: [(String, String)], headers: [String: String]) -> String {
        "SharedKey \(account):" + signature(stringToSign(method: method, path: path, query: query, headers: headers))
    }

    /// The query items of a read-only service SAS for one blob (`sr=b`, `sp=r`), valid until
    /// `expiry`, for service version `version` (2020-12-06 or later: the encryption-scope line).
    ///
    /// `container` and `blob` are decoded names.
    public func blobReadSAS(container: String, blob: String, expiry: Date, version: String) -> [(String, String)] {
        let se = Self.sasTime(expiry)
        let fields = ["r", "", se, "/blob/\(account)/\(container)/\(blob)", "", "", "https,http", version, "b", "", "",
                      "", "", "", "", ""]
        return [("sv", version), ("spr", "https,http"), ("se", se), ("sr", "b"), ("sp", "r"),
                ("sig", signature(fields.joined(separator: "\n")))]
    }

    /// `2026-12-02T19:30:00Z`: the SAS time format (seconds, UTC).
    static func sasTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
