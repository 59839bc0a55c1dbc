/// What a manifest URL names: a tag or a digest.
///
/// ```swift
/// try Reference(parsing: "v1")               // .tag
/// try Reference(parsing: "sha256:e3b0...")   // .digest
/// ```
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    case tag(Tag)
    case digest(Digest)

    /// A reference containing `:` is a digest (`DIGEST_INVALID` when malformed); anything
    /// else must be a valid tag (`TAG_INVALID`, 400, otherwise).
    public init(parsing string: String) throws {
        if string.contains(":") {
            self = .digest(try Digest(parsing: string))
        } else if let tag = Tag(string) {
            self = .tag(tag)
        } else {
            throw RegistryError(.tagInvalid, detail: "invalid tag: \(string.prefix(200))")
        }
    }

    /// The tag, or the digest string.
    public var description: String {
        switch self {
        case .tag(let t): return t.value
        case .digest(let d): return d.description
        }
    }
}
