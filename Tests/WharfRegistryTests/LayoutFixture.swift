import Foundation
import WharfAPI
import WharfStorage
@testable import WharfRegistry

/// Writes distribution's layout straight into a driver, for the lifecycle tests: blobs,
/// manifests linked as revisions, tags with their history, `_layers` links.
struct LayoutFixture {
    let driver: StorageDriver
    let paths = RegistryPaths()

    /// Stores `data` as a blob and links it into `repo`'s `_layers`; returns its digest.
    @discardableResult
    func blob(_ data: Data, in repo: String? = nil) async throws -> Digest {
        let digest = Digest.of([UInt8](data))
        try await driver.putContent(paths.blobData(digest), data)
        if let repo { try await driver.putContent(paths.layerLink(try RepositoryName(repo), digest), Data(digest.string.utf8)) }
        return digest
    }

    /// A random layer linked into `repo`.
    func layer(in repo: String) async throws -> Digest {
        try await blob(Data((0..<64).map { _ in UInt8.random(in: 0...255) }), in: repo)
    }

    /// An OCI image manifest over a fresh config and `layers`, stored as a revision of
    /// `repo` and, with `tag`, tagged (the tag's history grows as a push would grow it).
    @discardableResult
    func image(_ repo: String, layers: [Digest], tag: String? = nil, subject: Digest? = nil) async throws -> (manifest: Digest, config: Digest) {
        let config = try await blob(Data("{\"nonce\":\"\(UUID().uuidString)\"}".utf8), in: repo)
        var body = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaTypes.ociManifest)\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"\(config)\",\"size\":1},"
            + "\"layers\":[" + layers.map { "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"\($0)\",\"size\":64}" }.joined(separator: ",") + "]"
        if let subject { body += ",\"subject\":{\"mediaType\":\"\(MediaTypes.ociManifest)\",\"digest\":\"\(subject)\",\"size\":1}" }
        body += "}"
        return (try await manifest(repo, Data(body.utf8), tag: tag, subject: subject), config)
    }

    /// An OCI index over `children` (already revisions of `repo`).
    func index(_ repo: String, children: [Digest], tag: String? = nil) async throws -> Digest {
        let body = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaTypes.ociIndex)\",\"manifests\":["
            + children.map { "{\"mediaType\":\"\(MediaTypes.ociManifest)\",\"digest\":\"\($0)\",\"size\":1}" }.joined(separator: ",") + "]}"
        return try await manifest(repo, Data(body.utf8), tag: tag)
    }

    /// Any bytes stored as a manifest revision of `repo` (tagged when `tag` is given).
    func manifest(_ repo: String, _ data: Data, tag: String? = nil, subject: Digest? = nil) async throws -> Digest {
        let name = try RepositoryName(repo)
        let digest = try await blob(data)
        try await driver.putContent(paths.revisionLink(name, digest), Data(digest.string.utf8))
        if let tag { try await self.tag(repo, tag, digest) }
        if let subject {
            try await driver.putContent(paths.referrerLink(name, subject: subject, referrer: digest), Data(digest.string.utf8))
        }
        return digest
    }

    /// Points `tag` at `digest` and adds it to the tag's history.
    func tag(_ repo: String, _ tag: String, _ digest: Digest) async throws {
        let name = try RepositoryName(repo)
        let t = Tag(tag)!
        try await driver.putContent(paths.tagIndexLink(name, t, digest), Data(digest.string.utf8))
        try await driver.putContent(paths.tagCurrentLink(name, t), Data(digest.string.utf8))
    }

    /// True when a blob's bytes are stored.
    func stored(_ digest: Digest) async -> Bool {
        (try? await driver.stat(paths.blobData(digest))) != nil
    }

    /// True when something exists at `path`.
    func exists(_ path: String) async -> Bool {
        (try? await driver.stat(path)) != nil
    }
}
