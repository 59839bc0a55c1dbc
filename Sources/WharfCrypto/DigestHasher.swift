import COpenSSL
import Foundation

/// A hash algorithm Wharf accepts in content digests (`sha256:<hex>`, `sha512:<hex>`).
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case sha256
    case sha512

    /// Length in bytes of this algorithm's output.
    public var byteCount: Int { self == .sha256 ? 32 : 64 }

    /// Length of the lower-case hex encoding, as it appears in a digest string.
    public var hexLength: Int { byteCount * 2 }

    fileprivate var evp: OpaquePointer? { self == .sha256 ? EVP_sha256() : EVP_sha512() }
}

/// A streaming hash over bytes as they arrive; the bytes are never kept.
///
/// ```swift
/// var hasher = DigestHasher(.sha256)
/// hasher.update(chunk1); hasher.update(chunk2)
/// let hex = hasher.finalizeHex()   // "e3b0c442..."
/// ```
///
/// A hasher is a reference to OpenSSL state: copy it with ``copy()`` to fork the state
/// (used to persist a partial upload's hash), not by assignment.
public final class DigestHasher: @unchecked Sendable {
    public let algorithm: DigestAlgorithm
    private var ctx: OpaquePointer?
    private var finished = false

    public init(_ algorithm: DigestAlgorithm = .sha256) {
        self.algorithm = algorithm
        ctx = EVP_MD_CTX_new()
        EVP_DigestInit_ex(ctx, algorithm.evp, nil)
    }

    private init(copying other: DigestHasher) {
        algorithm = other.algorithm
        ctx = EVP_MD_CTX_new()
        EVP_MD_CTX_copy_ex(ctx, other.ctx)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    /// An independent hasher with the same state.
    public func copy() -> DigestHasher { DigestHasher(copying: self) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "DigestHasher used after finalize")
        if let base = bytes.baseAddress, bytes.count > 0 {
            EVP_DigestUpdate(ctx, base, bytes.count)
        }
    }

    public func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest bytes. The hasher cannot be updated afterwards.
    public func finalize() -> [UInt8] {
        precondition(!finished, "DigestHasher finalized twice")
        finished = true
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        return Array(out[0..<Int(len)])
    }

    /// The digest as lower-case hex.
    public func finalizeHex() -> String { Hex.encode(finalize()) }

    /// One-shot hash of `data`.
    public static func hash(_ data: Data, _ algorithm: DigestAlgorithm = .sha256) -> [UInt8] {
        let h = DigestHasher(algorithm)
        h.update(data)
        return h.finalize()
    }

    /// One-shot hex hash of `data`.
    public static func hex(_ data: Data, _ algorithm: DigestAlgorithm = .sha256) -> String {
        Hex.encode(hash(data, algorithm))
    }
}
