import Foundation
import WharfSystem
import WharfAPI

/// A manifest's structure, parsed only to validate it and find what it references; the
/// stored bytes are always the bytes received.
///
/// Accepted: OCI image manifest and index, Docker schema2 manifest and manifest list,
/// OCI 1.1 artifacts (`artifactType`, any config media type, `subject`). Schema1 is refused.
struct ManifestDocument: Sendable {
    enum Kind: Sendable { case image, index }

    let kind: Kind
    /// The media type served as `Content-Type`: the body's `mediaType`, else the request's.
    let mediaType: String
    let config: Descriptor?
    let layers: [Descriptor]
    let manifests: [Descriptor]
    let subject: Descriptor?
    let artifactType: String?
    let annotations: [String: String]?

    /// Validates a pushed manifest. Every failure is `MANIFEST_INVALID` with a detail.
    static func parse(_ data: Data, contentType: String?) throws -> ManifestDocument {
        let ct = MediaTypes.essence(contentType)
        if ct == MediaTypes.dockerSchema1 || ct == MediaTypes.dockerSchema1Signed {
            throw schema1Refused
        }
        guard let obj = (try? JSONSerialization.jsonObject(with: data, options: [])) as? [String: Any] else {
            throw RegistryError(.manifestInvalid, detail: "manifest is not a JSON object")
        }
        let schemaVersion = JSONNumber.integer(obj["schemaVersion"])
        let bodyType = obj["mediaType"] as? String
        if schemaVersion == 1 || bodyType == MediaTypes.dockerSchema1 || bodyType == MediaTypes.dockerSchema1Signed {
            throw schema1Refused
        }
        guard schemaVersion == 2 else {
            throw RegistryError(.manifestInvalid, detail: "schemaVersion must be 2")
        }
        if obj["mediaType"] != nil && bodyType == nil {
            throw RegistryError(.manifestInvalid, detail: "mediaType must be a string")
        }
        let known: Set<String> = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList]
        if let ct, let bodyType, known.contains(ct), ct != bodyType {
            throw RegistryError(.manifestInvalid, detail: "mediaType \(bodyType.prefix(200)) does not match Content-Type \(ct)")
        }
        let mediaType: String
        if let bodyType {
            mediaType = bodyType
        } else if let ct, ct != "application/json", ct != "application/octet-stream" {
            mediaType = ct
        } else {
            mediaType = obj["manifests"] != nil ? MediaTypes.ociIndex : MediaTypes.ociManifest
        }
        let kind: Kind
        switch mediaType {
        case MediaTypes.ociManifest, MediaTypes.dockerManifest: kind = .image
        case MediaTypes.ociIndex, MediaTypes.dockerManifestList: kind = .index
        default:
            throw RegistryError(.manifestInvalid, detail: "unsupported manifest media type: \(mediaType.prefix(200))")
        }
        var config: Descriptor?
        var layers: [Descriptor] = []
        var manifests: [Descriptor] = []
        switch kind {
        case .image:
            config = try Descriptor(json: obj["config"], field: "config")
            guard let rawLayers = obj["layers"] as? [Any] else {
                throw RegistryError(.manifestInvalid, detail: "layers must be an array")
            }
            layers = try rawLayers.enumerated().map { try Descriptor(json: $0.element, field: "layers[\($0.offset)]") }
        case .index:
            guard let raw = obj["manifests"] as? [Any] else {
                throw RegistryError(.manifestInvalid, detail: "manifests must be an array")
            }
            manifests = try raw.enumerated().map { try Descriptor(json: $0.element, field: "manifests[\($0.offset)]") }
        }
        let subject = try obj["subject"].map { try Descriptor(json: $0, field: "subject") }
        if obj["artifactType"] != nil && !(obj["artifactType"] is String) {
            throw RegistryError(.manifestInvalid, detail: "artifactType must be a string")
        }
        return ManifestDocument(kind: kind, mediaType: mediaType, config: config, layers: layers, manifests: manifests,
                                subject: subject, artifactType: obj["artifactType"] as? String,
                                annotations: obj["annotations"] as? [String: String])
    }

    /// What a stored manifest is, read leniently (it may have been written by distribution,
    /// schema1 included): its media type, subject, artifact type and annotations.
    static func summary(of data: Data) -> StoredManifest.Summary {
        guard let obj = (try? JSONSerialization.jsonObject(with: data, options: [])) as? [String: Any] else {
            return StoredManifest.Summary(mediaType: MediaTypes.ociManifest, subject: nil, artifactType: nil, annotations: nil)
        }
        var mediaType: String
        if let t = obj["mediaType"] as? String {
            mediaType = t
        } else if (obj["schemaVersion"] as? Int) == 1 {
            mediaType = obj["signatures"] != nil ? MediaTypes.dockerSchema1Signed : MediaTypes.dockerSchema1
        } else {
            mediaType = obj["manifests"] != nil ? MediaTypes.ociIndex : MediaTypes.ociManifest
        }
        if mediaType.isEmpty { mediaType = MediaTypes.ociManifest }
        let subject = ((obj["subject"] as? [String: Any])?["digest"] as? String).flatMap(Digest.parse)
        var artifactType = obj["artifactType"] as? String
        if artifactType == nil, let config = obj["config"] as? [String: Any] {
            artifactType = config["mediaType"] as? String
        }
        return StoredManifest.Summary(mediaType: mediaType, subject: subject, artifactType: artifactType,
                                      annotations: obj["annotations"] as? [String: String])
    }

    static let schema1Refused = RegistryError(.manifestInvalid, detail: "schema1 manifests are not supported")
}
