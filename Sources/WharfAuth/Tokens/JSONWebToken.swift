import Foundation
import WharfSystem
import WharfCrypto

/// Why a JWT was refused. The text is for logs and never contains the token.
public enum JSONWebTokenError: Error, Equatable, Sendable {
    /// Not three base64url parts, or a part that is not JSON.
    case malformed
    /// The header's `alg` is not `HS256` (including `none`).
    case unsupportedAlgorithm(String)
    /// The signature does not match.
    case badSignature
    /// `exp` has passed (or is missing).
    case expired
    /// `nbf` or `iat` lies in the future.
    case notYetValid
    /// `iss` is not ours.
    case wrongIssuer
    /// `aud` does not name us.
    case wrongAudience
}

/// The claims Wharf puts in the tokens it issues: who, for whom, when, and the access
/// granted (the Docker token format's `access` list).
public struct TokenClaims: Equatable, Sendable {
    /// `iss`.
    public var issuer: String
    /// `sub`: the user name, empty for an anonymous token.
    public var subject: String
    /// `aud`.
    public var audience: String
    /// `iat`, seconds since 1970.
    public var issuedAt: Int64
    /// `nbf`, seconds since 1970.
    public var notBefore: Int64
    /// `exp`, seconds since 1970.
    public var expiresAt: Int64
    /// `jti`: a random id.
    public var id: String
    /// The access granted.
    public var access: [GrantedAccess]

    /// Creates claims.
    public init(issuer: String, subject: String, audience: String, issuedAt: Int64, notBefore: Int64,
                expiresAt: Int64, id: String, access: [GrantedAccess]) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.id = id
        self.access = access
    }
}

/// One entry of a token's `access` list: `{"type":"repository","name":"p/app","actions":["pull"]}`.
public struct GrantedAccess: Equatable, Sendable {
    /// `repository` or `registry`.
    public var type: String
    /// The repository name, or `catalog`/`metrics` for `registry`.
    public var name: String
    /// The granted actions.
    public var actions: [String]
    /// Creates an entry.
    public init(type: String, name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }
}

/// HS256 JSON Web Tokens (RFC 7519), strict: only `HS256` is accepted (never `none`),
/// the signature is compared in constant time, and `exp`, `nbf`, `iat`, `iss` and `aud`
/// are all checked.
///
/// ```swift
/// let jwt = JSONWebToken(key: key, issuer: "wharf", audience: "registry")
/// let token = jwt.sign(claims)
/// let back = try jwt.verify(token, now: Date())
/// ```
public struct JSONWebToken: Sendable {
    /// The HMAC key.
    public let key: [UInt8]
    /// Expected and written `iss`.
    public let issuer: String
    /// Expected and written `aud`.
    public let audience: String
    /// Clock skew tolerated for `nbf`/`iat`, in seconds.
    public var leeway: Int64 = 30

    /// A signer/verifier with `key`.
    public init(key: [UInt8], issuer: String, audience: String) {
        self.key = key
        self.issuer = issuer
        self.audience = audience
    }

    /// The compact serialization of `claims`, signed.
    public func sign(_ claims: TokenClaims) -> String {
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let access: [[String: Any]] = claims.access.map { ["type": $0.type, "name": $0.name, "actions": $0.actions] }
        let body: [String: Any] = [
            "iss": claims.issuer, "sub": claims.subject, "aud": claims.audience,
            "iat": claims.issuedAt, "nbf": claims.notBefore, "exp": claims.expiresAt,
            "jti": claims.id, "access": access,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let signingInput = header + "." + Base64URL.encode(json)
        let mac = HMAC.sign(key: key, message: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(mac)
    }

    /// The claims of `token` when it is well-formed, ours, HS256-signed with our key and
    /// current at `now`; throws the reason otherwise.
    public func verify(_ token: String, now: Date = Date()) throws -> TokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16384,
              let headerBytes = Base64URL.decode(String(parts[0])),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any] else {
            throw JSONWebTokenError.malformed
        }
        guard let alg = header["alg"] as? String else { throw JSONWebTokenError.malformed }
        guard alg == "HS256" else { throw JSONWebTokenError.unsupportedAlgorithm(String(alg.prefix(16))) }
        if let crit = header["crit"], !(crit is NSNull) { throw JSONWebTokenError.malformed }
        guard let signature = Base64URL.decode(String(parts[2])) else { throw JSONWebTokenError.malformed }
        let expected = HMAC.sign(key: key, message: Array("\(parts[0]).\(parts[1])".utf8))
        guard ConstantTime.equals(expected, signature) else { throw JSONWebTokenError.badSignature }

        guard let bodyBytes = Base64URL.decode(String(parts[1])),
              let body = try? JSONSerialization.jsonObject(with: Data(bodyBytes)) as? [String: Any] else {
            throw JSONWebTokenError.malformed
        }
        let t = Int64(now.timeIntervalSince1970)
        guard let exp = Self.int(body["exp"]), exp > t else { throw JSONWebTokenError.expired }
        if let nbf = Self.int(body["nbf"]), nbf > t + leeway { throw JSONWebTokenError.notYetValid }
        guard let iat = Self.int(body["iat"]) else { throw JSONWebTokenError.malformed }
        if iat > t + leeway { throw JSONWebTokenError.notYetValid }
        guard let iss = body["iss"] as? String, ConstantTime.equals(iss, issuer) else { throw JSONWebTokenError.wrongIssuer }
        let audiences: [String]
        if let a = body["aud"] as? String { audiences = [a] } else { audiences = body["aud"] as? [String] ?? [] }
        guard audiences.contains(audience) else { throw JSONWebTokenError.wrongAudience }

        var access: [GrantedAccess] = []
        if let list = body["access"] as? [[String: Any]] {
            for entry in list {
                guard let type = entry["type"] as? String, let name = entry["name"] as? String,
                      let actions = entry["actions"] as? [String] else { throw JSONWebTokenError.malformed }
                access.append(GrantedAccess(type: type, name: name, actions: actions))
            }
        }
        return TokenClaims(issuer: iss, subject: body["sub"] as? String ?? "", audience: audience, issuedAt: iat,
                           notBefore: Self.int(body["nbf"]) ?? iat, expiresAt: exp, id: body["jti"] as? String ?? "",
                           access: access)
    }

    private static func int(_ value: Any?) -> Int64? {
        JSONNumber.nonNegativeInt64(value, below: 1e15)
    }
}
