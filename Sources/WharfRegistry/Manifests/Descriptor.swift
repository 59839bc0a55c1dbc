import WharfAPI
import WharfSystem
/// An OCI content descriptor as found in manifests (`mediaType`, `digest`, `size`, ...).
struct Descriptor: Sendable, Equatable {
    var mediaType: String
    var digest: Digest
    var size: Int64
    var urls: [String]
    var artifactType: String?
    var annotations: [String: String]?

    /// Parses a descriptor object; MANIFEST_INVALID when a required member is missing or bad.
    init(json: Any?, field: String) throws {
        guard let obj = json as? [String: Any] else {
            throw RegistryError(.manifestInvalid, detail: "\(field): descriptor must be an object")
        }
        guard let mt = obj["mediaType"] as? String, !mt.isEmpty else {
            throw RegistryError(.manifestInvalid, detail: "\(field): mediaType is required")
        }
        guard let d = obj["digest"] as? String, let digest = Digest.parse(d) else {
            throw RegistryError(.manifestInvalid, detail: "\(field): invalid digest")
        }
        guard let size = JSONNumber.integer(obj["size"]), size >= 0 else {
            throw RegistryError(.manifestInvalid, detail: "\(field): size must be a non-negative integer")
        }
        mediaType = mt
        self.digest = digest
        self.size = size
        urls = (obj["urls"] as? [String]) ?? []
        artifactType = obj["artifactType"] as? String
        annotations = obj["annotations"] as? [String: String]
    }
}

