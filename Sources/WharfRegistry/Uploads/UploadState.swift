import Foundation
import WharfAPI
import WharfCrypto

/// What the `_state` query parameter of an upload URL carries, signed with `http.secret`.
/// Storage stays the source of truth for the bytes; the state proves the client was given
/// this upload for this repository by a replica sharing the secret.
struct UploadState: Codable, Equatable, Sendable {
    var name: String
    var uuid: String
    var offset: Int64
    /// RFC 3339, as in `_uploads/<uuid>/startedat`.
    var startedAt: String
}

/// Signs and verifies ``UploadState`` tokens: `base64url(JSON) "." base64url(HMAC-SHA256)`.
///
/// ```swift
/// let t = UploadStateToken(key: secret)
/// let token = t.sign(state)
/// try t.verify(token)   // state, or BLOB_UPLOAD_INVALID when forged or tampered with
/// ```
struct UploadStateToken: Sendable {
    let key: [UInt8]

    func sign(_ state: UploadState) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = [UInt8]((try? encoder.encode(state)) ?? Data())
        let mac = HMAC.sign(key: key, message: json)
        return Base64URL.encode(json) + "." + Base64URL.encode(mac)
    }

    func verify(_ token: String) throws -> UploadState {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 4096, parts.count == 2,
              let json = Base64URL.decode(String(parts[0])), let mac = Base64URL.decode(String(parts[1])),
              HMAC.verify(key: key, message: json, mac: mac),
              let state = try? JSONDecoder().decode(UploadState.self, from: Data(json)) else {
            throw RegistryError(.blobUploadInvalid, detail: "invalid upload state token")
        }
        return state
    }
}
