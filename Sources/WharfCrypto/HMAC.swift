import COpenSSL
import Foundation

/// HMAC over SHA-256 or SHA-512 (RFC 2104), used for upload-state tokens, JWT HS256
/// and cloud request signing.
///
/// ```swift
/// let mac = HMAC.sign(key: secret, message: Data("payload".utf8))
/// ```
public enum HMAC {
    public static func sign(key: [UInt8], message: [UInt8], algorithm: DigestAlgorithm = .sha256) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let md = algorithm == .sha256 ? EVP_sha256() : EVP_sha512()
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                _ = COpenSSL.HMAC(md, k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                  m.count, &out, &len)
            }
        }
        return Array(out[0..<Int(len)])
    }

    public static func sign(key: Data, message: Data, algorithm: DigestAlgorithm = .sha256) -> [UInt8] {
        sign(key: [UInt8](key), message: [UInt8](message), algorithm: algorithm)
    }

    /// Checks `mac` against the HMAC of `message` in constant time.
    public static func verify(key: [UInt8], message: [UInt8], mac: [UInt8], algorithm: DigestAlgorithm = .sha256) -> Bool {
        ConstantTime.equals(sign(key: key, message: message, algorithm: algorithm), mac)
    }
}
