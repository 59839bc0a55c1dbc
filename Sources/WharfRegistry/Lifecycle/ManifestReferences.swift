import Foundation
import WharfAPI
import WharfCrypto

/// What a stored manifest keeps alive, as garbage collection reads it: distribution's
/// `Manifest.References()` (config and layers of an image, `fsLayers` of schema1, the
/// children of an index) plus the `subject`, which decides whose referrer it is.
///
/// Read leniently: anything stored may have been written by another registry. A manifest
/// whose structure is not understood is never an excuse to delete: ``conservative(_:problem:)``
/// keeps every digest that appears anywhere in its bytes, and the problem is reported.
struct ManifestReferences: Sendable, Equatable {
    /// Blobs the manifest needs: config and layers (foreign layers included, as distribution marks them).
    var blobs: [Digest] = []
    /// Manifests an index lists; they are kept with everything they reach.
    var children: [Digest] = []
    /// The manifest this one refers to (OCI 1.1 `subject`).
    var subject: Digest?
    /// Why the manifest was read conservatively; nil when its structure was understood.
    var problem: String?

    /// The ``problem`` of bytes that are no JSON object at all.
    static let notJSON = "not a JSON object"

    /// The references of a stored manifest's bytes.
    static func read(_ data: Data) -> ManifestReferences {
        guard let obj = (try? JSONSerialization.jsonObject(with: data, options: [])) as? [String: Any] else {
            return conservative(data, problem: notJSON)
        }
        let schemaVersion = obj["schemaVersion"] as? Int
        let mediaType = obj["mediaType"] as? String ?? ""
        var refs = ManifestReferences()
        if schemaVersion == 1 {
            guard let layers = obj["fsLayers"] as? [Any], let blobs = digests(layers, key: "blobSum") else {
                return conservative(data, problem: "schema1 manifest without readable fsLayers")
            }
            refs.blobs = blobs
            return refs
        }
        guard schemaVersion == 2 else { return conservative(data, problem: "unknown schemaVersion") }
        let isIndex: Bool
        switch mediaType {
        case MediaTypes.ociManifest, MediaTypes.dockerManifest: isIndex = false
        case MediaTypes.ociIndex, MediaTypes.dockerManifestList: isIndex = true
        case "": isIndex = obj["manifests"] != nil
        default: return conservative(data, problem: "unknown manifest media type \(mediaType.prefix(100))")
        }
        if isIndex {
            guard let raw = obj["manifests"] as? [Any], let children = digests(raw, key: "digest") else {
                return conservative(data, problem: "index without readable manifests")
            }
            refs.children = children
        } else {
            guard let config = obj["config"], let configDigest = digests([config], key: "digest"),
                  let layers = digests(obj["layers"] as? [Any] ?? (obj["layers"] == nil ? [] : nil), key: "digest") else {
                return conservative(data, problem: "image manifest without readable config or layers")
            }
            refs.blobs = configDigest + layers
        }
        if let subject = obj["subject"] {
            guard let s = digests([subject], key: "digest") else {
                return conservative(data, problem: "unreadable subject")
            }
            refs.subject = s.first
        }
        return refs
    }

    /// Every `sha256:`/`sha512:` digest found anywhere in `data`, kept as blobs and as
    /// children (so a child manifest's own references are kept too).
    static func conservative(_ data: Data, problem: String) -> ManifestReferences {
        let found = DigestScanner.digests(in: data)
        return ManifestReferences(blobs: found, children: found, subject: nil, problem: problem)
    }

    /// The digest under `key` of each descriptor; nil when any is missing or malformed.
    private static func digests(_ list: [Any]?, key: String) -> [Digest]? {
        guard let list else { return nil }
        var result: [Digest] = []
        for item in list {
            guard let object = item as? [String: Any], let text = object[key] as? String,
                  let digest = Digest.parse(text) else { return nil }
            result.append(digest)
        }
        return result
    }
}

/// Finds digest-shaped strings (`sha256:` + 64 hex, `sha512:` + 128 hex) in raw bytes.
enum DigestScanner {
    static func digests(in data: Data) -> [Digest] {
        let bytes = [UInt8](data)
        var found: [Digest] = []
        var seen: Set<Digest> = []
        for algorithm in DigestAlgorithm.allCases {
            let prefix = Array((algorithm.rawValue + ":").utf8)
            let length = algorithm.hexLength
            var i = 0
            while i + prefix.count + length <= bytes.count {
                guard bytes[i..<(i + prefix.count)].elementsEqual(prefix) else { i += 1; continue }
                let start = i + prefix.count
                let hex = bytes[start..<(start + length)]
                if hex.allSatisfy(isLowerHex), let text = String(bytes: hex, encoding: .ascii) {
                    let digest = Digest(algorithm: algorithm, hex: text)
                    if seen.insert(digest).inserted { found.append(digest) }
                    i = start + length
                } else {
                    i += 1
                }
            }
        }
        return found
    }

    private static func isLowerHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)
    }
}
