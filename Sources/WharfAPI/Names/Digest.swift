import WharfCrypto

/// A validated content digest `algorithm:encoded`; sha256 (64 lower hex) and sha512
/// (128 lower hex) are supported.
///
/// ```swift
/// let d = try Digest(parsing: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
/// d.algorithm  // .sha256
/// d.hex        // "e3b0..."
/// ```
public struct Digest: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// sha256 or sha512.
    public let algorithm: DigestAlgorithm
    /// The encoded part: lower-case hex of the hash.
    public let hex: String

    /// A digest from parts already known to be valid (e.g. a hasher's output).
    public init(algorithm: DigestAlgorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }

    /// Parses and validates `string`; throws `DIGEST_INVALID` for malformed digests
    /// and for algorithms other than sha256/sha512.
    public init(parsing string: String) throws {
        guard let colon = string.firstIndex(of: ":") else {
            throw RegistryError(.digestInvalid, detail: "invalid digest: \(string.prefix(200))")
        }
        let alg = String(string[..<colon])
        let enc = String(string[string.index(after: colon)...])
        guard Self.isValidAlgorithmComponent(alg), !enc.isEmpty else {
            throw RegistryError(.digestInvalid, detail: "invalid digest: \(string.prefix(200))")
        }
        guard let algorithm = DigestAlgorithm(rawValue: alg) else {
            throw RegistryError(.digestInvalid, detail: "unsupported digest algorithm: \(alg.prefix(50))")
        }
        guard enc.utf8.count == algorithm.hexLength, enc.utf8.allSatisfy(Self.isLowerHex) else {
            throw RegistryError(.digestInvalid, detail: "invalid \(alg) digest: \(string.prefix(200))")
        }
        self.algorithm = algorithm
        self.hex = enc
    }

    /// Nil unless `string` is a valid, supported digest.
    public static func parse(_ string: String) -> Digest? { try? Digest(parsing: string) }

    /// The digest of `data` under `algorithm`.
    public static func of(_ data: [UInt8], _ algorithm: DigestAlgorithm = .sha256) -> Digest {
        let h = DigestHasher(algorithm)
        h.update(data)
        return Digest(algorithm: algorithm, hex: h.finalizeHex())
    }

    /// `sha256:<hex>`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }
    /// Same as ``description``.
    public var string: String { description }

    /// Lexical order of the string form (stable listings).
    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

    static func isLowerHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) }

    /// `[a-z0-9]+([+._-][a-z0-9]+)*`: the spec's algorithm grammar.
    static func isValidAlgorithmComponent(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, RepositoryName.isLowerAlnum(f), RepositoryName.isLowerAlnum(l) else { return false }
        var prevSep = false
        for c in b {
            if RepositoryName.isLowerAlnum(c) { prevSep = false; continue }
            guard c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-"), !prevSep else { return false }
            prevSep = true
        }
        return true
    }
}
