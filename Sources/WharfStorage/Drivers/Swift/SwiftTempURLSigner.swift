import COpenSSL
import Foundation
import WharfCrypto
import WharfHTTPClient

/// Temp URLs as Swift's `tempurl` middleware checks them: `temp_url_sig` is the hex HMAC of
/// `"<METHOD>\n<expires>\n<path>"` under the account's (or container's) temp-URL key, with
/// SHA-256 when the cluster's `/info` lists it in `tempurl.allowed_digests`, else SHA-1
/// (what clusters older than the digest list accept).
struct SwiftTempURLSigner: Sendable {
    enum Digest: String, Sendable { case sha1, sha256 }

    let key: String
    let digest: Digest

    /// Reads `/info` at the root of the storage host to choose the digest.
    static func make(client: SwiftClient, key: String) async throws -> SwiftTempURLSigner {
        let session = try await client.auth.session()
        var digest = Digest.sha1
        if let c = URLComponents(string: session.storageURL), let scheme = c.scheme, let host = c.host {
            let info = scheme + "://" + host + (c.port.map { ":\($0)" } ?? "") + "/info"
            if let request = try? HTTPClientRequest(method: "GET", url: info),
               let answer = try? await client.http.execute(request),
               let body = try? await answer.body.collect(upTo: 1 << 20), answer.status == 200,
               let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
               let tempurl = json["tempurl"] as? [String: Any] {
                let allowed = tempurl["allowed_digests"] as? [String] ?? ["sha1"]
                if allowed.contains("sha256") { digest = .sha256 }
            }
        }
        return SwiftTempURLSigner(key: key, digest: digest)
    }

    /// The temp URL of `resource` (`/<container>/<object>`, encoded) below `storageURL`.
    func url(storageURL: String, resource: String, method: String, expires seconds: Int, now: Date = Date()) throws -> String {
        guard let base = URLComponents(string: storageURL) else {
            throw SwiftError(status: 0, message: "bad storage URL \(storageURL)")
        }
        let expires = Int(now.timeIntervalSince1970) + seconds
        let path = (base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path) + (resource.removingPercentEncoding ?? resource)
        let sig = signature(method: method, expires: expires, path: path)
        return storageURL + resource + "?temp_url_sig=\(sig)&temp_url_expires=\(expires)"
    }

    /// The hex HMAC the middleware recomputes for `method`, `expires` and the decoded `path`.
    func signature(method: String, expires: Int, path: String) -> String {
        let message = Array("\(method)\n\(expires)\n\(path)".utf8)
        switch digest {
        case .sha256: return Hex.encode(HMAC.sign(key: Array(key.utf8), message: message))
        case .sha1: return Hex.encode(Self.hmacSHA1(key: Array(key.utf8), message: message))
        }
    }

    private static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var len: UInt32 = 0
        _ = COpenSSL.HMAC(EVP_sha1(), key, Int32(key.count), message, message.count, &out, &len)
        return Array(out[0..<Int(len)])
    }
}
