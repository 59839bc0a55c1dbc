import CCrypt
import Foundation
import WharfCrypto

/// bcrypt password hashes through libcrypt's `crypt_r` (libxcrypt: `$2b$`, `$2y$`, `$2a$`),
/// the format `htpasswd -B` writes.
///
/// ```swift
/// let hash = try BcryptPassword.hash("s3cret", cost: 10)   // "$2b$10$..."
/// BcryptPassword.verify("s3cret", hash: hash)               // true
/// ```
public enum BcryptPassword {
    /// Why hashing failed.
    public struct HashError: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// True when `s` looks like a bcrypt hash (`$2?$NN$` + 53 characters).
    public static func isHash(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 60, b[0] == 0x24, b[1] == 0x32, [0x61, 0x62, 0x79].contains(b[2]), b[3] == 0x24,
              b[6] == 0x24, (0x30...0x39).contains(b[4]), (0x30...0x39).contains(b[5]) else { return false }
        return true
    }

    /// True when `password` matches `hash`; the final comparison is constant-time.
    /// False for anything that is not a bcrypt hash (never another crypt scheme).
    public static func verify(_ password: String, hash: String) -> Bool {
        guard isHash(hash), password.utf8.count <= 1024, !password.utf8.contains(0) else { return false }
        guard let computed = crypt(password, setting: hash) else { return false }
        return ConstantTime.equals(computed, hash)
    }

    /// A new `$2b$` hash of `password` with a random salt from ``SecureRandom``.
    public static func hash(_ password: String, cost: Int = 10) throws -> String {
        guard (4...31).contains(cost) else { throw HashError(description: "cost must be between 4 and 31") }
        guard !password.utf8.contains(0) else { throw HashError(description: "password contains a NUL byte") }
        let random = SecureRandom.bytes(16)
        var setting = [CChar](repeating: 0, count: 128)
        let ok = random.withUnsafeBufferPointer { r in
            r.baseAddress!.withMemoryRebound(to: CChar.self, capacity: r.count) { rp in
                crypt_gensalt_rn("$2b$", UInt(cost), rp, Int32(r.count), &setting, Int32(setting.count))
            }
        }
        guard ok != nil else { throw HashError(description: "crypt_gensalt_rn failed (errno \(errno))") }
        guard let result = crypt(password, setting: String(cString: setting)), isHash(result) else {
            throw HashError(description: "crypt_r does not support bcrypt on this system")
        }
        return result
    }

    private static func crypt(_ password: String, setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let out = crypt_r(password, setting, data) else { return nil }
        let s = String(cString: out)
        // libxcrypt signals failure with a string starting with '*'.
        return s.hasPrefix("*") ? nil : s
    }
}
