import COpenSSL
import Foundation

/// RSASSA-PKCS1-v1_5 with SHA-256 ("RS256") by a PEM private key: the signature of
/// service-account JWT assertions and V4 signed URLs (GCS). A thin wrapper over OpenSSL's
/// `EVP_DigestSign`.
///
/// ```swift
/// let signer = try RSASigner(pem: key.privateKey)
/// let signature = try signer.sign(Data("header.claims".utf8))
/// ```
public final class RSASigner: @unchecked Sendable {
    /// Why a key or a signature failed (never the key's bytes).
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    private let key: OpaquePointer

    /// Reads a PEM private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    /// - Throws: ``Failure`` when it is not a readable RSA private key.
    public init(pem: String) throws {
        var bytes = Array(pem.utf8)
        guard let bio = bytes.withUnsafeMutableBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw Failure(description: "cannot read the private key")
        }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw Failure(description: "not a PEM private key")
        }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
            EVP_PKEY_free(key)
            throw Failure(description: "not an RSA private key")
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// The RS256 signature of `message`.
    public func sign(_ message: Data) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw Failure(description: "out of memory") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { throw Failure(description: "sign init failed") }
        var length = 0
        let bytes = [UInt8](message)
        guard EVP_DigestSign(ctx, nil, &length, bytes, bytes.count) == 1 else { throw Failure(description: "sign failed") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, bytes, bytes.count) == 1 else { throw Failure(description: "sign failed") }
        return Array(signature[0..<length])
    }
}
