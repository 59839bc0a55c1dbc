import Foundation
import WharfCrypto

/// AWS Signature Version 4 for S3 (and any SigV4 service): the `Authorization` header
/// of a request and presigned query-string URLs.
///
/// Follows the SigV4 spec: canonical request (method, URI-encoded path, sorted encoded
/// query, lower-case trimmed headers, signed header list, payload hash), string to sign
/// (`AWS4-HMAC-SHA256`, time, scope, hash of the canonical request), and the signing key
/// `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
/// Uploads sign `UNSIGNED-PAYLOAD` so a body never has to be hashed before it is sent.
/// S3 paths are encoded once (other services encode twice: ``doubleEncodePath``).
///
/// ```swift
/// let signer = S3Signer(credentials: creds, region: "us-east-1")
/// let headers = signer.sign(method: "GET", url: url, headers: ["host": "bucket.s3.amazonaws.com"], payloadHash: S3Signer.unsignedPayload, date: Date())
/// ```
public struct S3Signer: Sendable {
    /// Access key, secret and optional session token.
    public struct Credentials: Sendable, Equatable {
        /// The access key id (`AKIA...`).
        public var accessKey: String
        /// The secret access key; never logged.
        public var secretKey: String
        /// A temporary session token (`AWS_SESSION_TOKEN`), sent as `x-amz-security-token`.
        public var sessionToken: String?
        /// Credentials from their parts.
        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    /// The payload hash for bodies that are not hashed up front.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty string, for bodiless requests.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Who signs.
    public var credentials: Credentials
    /// The signing region (`us-east-1`, or whatever a custom endpoint expects).
    public var region: String
    /// The signing service name (`s3`).
    public var service: String
    /// True for services other than S3, whose canonical URI encodes each segment twice.
    public var doubleEncodePath: Bool

    /// A signer for `service` in `region`.
    public init(credentials: Credentials, region: String, service: String = "s3", doubleEncodePath: Bool = false) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.doubleEncodePath = doubleEncodePath
    }

    /// `20150830T123600Z` and `20150830` for `date`, in UTC.
    public static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }

    private static let unreservedBytes: [Bool] = (0..<256).map { i -> Bool in
        let c = UInt8(i)
        if c >= 0x30 && c <= 0x39 { return true }
        if c >= 0x41 && c <= 0x5a { return true }
        if c >= 0x61 && c <= 0x7a { return true }
        return c == 0x2d || c == 0x5f || c == 0x2e || c == 0x7e
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (`A-Za-z0-9-_.~`);
    /// `/` is kept when `keepSlash`.
    public static func uriEncode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if unreservedBytes[Int(b)] || (keepSlash && b == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// The canonical query string of already-decoded name/value pairs: each encoded,
    /// sorted by name then value, joined by `&`.
    public static func canonicalQuery(_ items: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = items.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { (pair) -> String in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// A header value as SigV4 canonicalizes it: trimmed, runs of spaces collapsed.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out = ""
        var lastSpace = false
        for ch in value.trimmingCharacters(in: .whitespaces) {
            if ch == " " || ch == "\t" {
                if !lastSpace { out.append(" ") }
                lastSpace = true
            } else {
                out.append(ch)
                lastSpace = false
            }
        }
        return out
    }

    /// The canonical request for `method` on the decoded `path` with decoded `query` items.
    public func canonicalRequest(method: String, path: String, query: [(String, String)],
                                 headers: [String: String], payloadHash: String) -> (request: String, signedHeaders: String) {
        var uri = Self.uriEncode(path.isEmpty ? "/" : path, keepSlash: true)
        if doubleEncodePath { uri = Self.uriEncode(uri, keepSlash: true) }
        var lowered: [String: String] = [:]
        for (k, v) in headers {
            let key = k.lowercased()
            let value = Self.canonicalHeaderValue(v)
            lowered[key] = lowered[key].map { $0 + "," + value } ?? value
        }
        let names = lowered.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(lowered[$0]!)\n" }.joined()
        let signed = names.joined(separator: ";")
        let request = [method, uri, Self.canonicalQuery(query), canonicalHeaders, signed, payloadHash].joined(separator: "\n")
        return (request, signed)
    }

    /// The credential scope `day/region/service/aws4_request`.
    public func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// The string to sign for a canonical request.
    public func stringToSign(canonicalRequest: String, amzDate: String, day: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope(day: day))\n\(Self.sha256Hex(Data(canonicalRequest.utf8)))"
    }

    /// The derived signing key for `day`.
    public func signingKey(day: String) -> [UInt8] {
        var key = HMAC.sign(key: Array(("AWS4" + credentials.secretKey).utf8), message: Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = HMAC.sign(key: key, message: Array(part.utf8)) }
        return key
    }

    /// Hex SHA-256 of `data`.
    public static func sha256Hex(_ data: Data) -> String {
        let h = DigestHasher(.sha256)
        h.update(data)
        return h.finalizeHex()
    }

    /// Signs a request: returns `headers` plus `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` (with a session token) and `Authorization`. `headers` must
    /// include `host`; every header given is signed.
    public func sign(method: String, path: String, query: [(String, String)], headers: [String: String],
                     payloadHash: String, date: Date) -> [String: String] {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers
        all["x-amz-date"] = amzDate
        if service == "s3" { all["x-amz-content-sha256"] = payloadHash }
        if let token = credentials.sessionToken { all["x-amz-security-token"] = token }
        let (canonical, signed) = canonicalRequest(method: method, path: path, query: query, headers: all, payloadHash: payloadHash)
        let toSign = stringToSign(canonicalRequest: canonical, amzDate: amzDate, day: day)
        let signature = Hex.encode(HMAC.sign(key: signingKey(day: day), message: Array(toSign.utf8)))
        all["Authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope(day: day)), SignedHeaders=\(signed), Signature=\(signature)"
        return all
    }

    /// The query items of a presigned URL (`X-Amz-Algorithm` ... `X-Amz-Signature`) for
    /// `method` on `path` at `host`, valid `expires` seconds from `date`; only `host` is signed.
    public func presignedQuery(method: String, path: String, query: [(String, String)], host: String,
                               expires: Int, date: Date) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var items = query
        items.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        items.append(("X-Amz-Credential", "\(credentials.accessKey)/\(scope(day: day))"))
        items.append(("X-Amz-Date", amzDate))
        items.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { items.append(("X-Amz-Security-Token", token)) }
        items.append(("X-Amz-SignedHeaders", "host"))
        let (canonical, _) = canonicalRequest(method: method, path: path, query: items, headers: ["host": host],
                                              payloadHash: Self.unsignedPayload)
        let toSign = stringToSign(canonicalRequest: canonical, amzDate: amzDate, day: day)
        items.append(("X-Amz-Signature", Hex.encode(HMAC.sign(key: signingKey(day: day), message: Array(toSign.utf8)))))
        return items
    }
}
