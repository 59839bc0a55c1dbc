import Foundation
import WharfConfig
import WharfCrypto

/// An htpasswd file of bcrypt entries (`user:$2y$...`), as distribution's `auth.htpasswd`
/// reads it: every listed user may do everything (all-or-nothing). Other hash schemes
/// are refused when the file is read, so no weak hash is ever accepted.
public struct HtpasswdFile: Sendable {
    /// User name → bcrypt hash.
    public let entries: [String: String]

    /// Parses htpasswd text; `origin` names it in errors.
    public init(text: String, origin: String) throws {
        var entries: [String: String] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw AuthSetupError("\(origin):\(i + 1): expected user:hash")
            }
            let user = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard !user.isEmpty, BcryptPassword.isHash(hash) else {
                throw AuthSetupError("\(origin):\(i + 1): only bcrypt entries are supported (htpasswd -B)")
            }
            entries[user] = hash
        }
        self.entries = entries
    }

    /// Reads the file at `path`.
    public static func load(path: String) throws -> HtpasswdFile {
        let data = try ConfigurationFile.read(path, kind: "htpasswd file", maxSize: 4 << 20)
        return try HtpasswdFile(text: String(decoding: data, as: UTF8.self), origin: path)
    }

    /// True when `user` is listed and `password` matches.
    public func verify(user: String, password: String) -> Bool {
        guard let hash = entries[user] else {
            // Spend the same time as a real check so absent users cannot be told apart.
            _ = BcryptPassword.verify(password, hash: BcryptPassword.dummyHash(likeAnyOf: Array(entries.values)))
            return false
        }
        return BcryptPassword.verify(password, hash: hash)
    }
}

/// A problem with the auth setup (unreadable policy or htpasswd file).
public struct AuthSetupError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
