import Foundation

/// Manifest and layer media types the registry understands.
public enum MediaTypes {
    /// OCI image manifest (also used for OCI 1.1 artifacts).
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index (multi-platform images, referrers responses).
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// Docker image manifest v2, schema 2.
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list (multi-platform).
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// Docker schema 1 (refused on push).
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    /// Signed Docker schema 1 (refused on push).
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    /// The OCI empty descriptor's media type (`{}` config of artifacts).
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"

    /// Layers clients fetch from their `urls`, never from the registry: not required to exist.
    public static let nondistributableLayers: Set<String> = [
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar",
    ]

    /// `type/subtype` of a header value, without parameters, lower-cased.
    public static func essence(_ value: String?) -> String? {
        guard let value else { return nil }
        let e = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return e.isEmpty ? nil : e
    }
}
