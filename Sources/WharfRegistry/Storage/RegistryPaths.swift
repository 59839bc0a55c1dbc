import WharfAPI
/// Where everything lives in storage: CNCF distribution's v2 layout, byte-compatible
/// with distribution 2.8 so either server can serve the other's directory or bucket.
///
/// ```
/// /docker/registry/v2/
///   blobs/<alg>/<first two hex>/<hex>/data              blob bytes (layers, configs, manifests)
///   repositories/<name>/
///     _layers/<alg>/<hex>/link                           "<alg>:<hex>": blob linked into the repo
///     _manifests/revisions/<alg>/<hex>/link              "<alg>:<hex>": manifest revision in the repo
///     _manifests/tags/<tag>/current/link                 "<alg>:<hex>": what the tag points at now
///     _manifests/tags/<tag>/index/<alg>/<hex>/link       "<alg>:<hex>": every digest the tag ever had
///     _uploads/<uuid>/data                               bytes of an upload in progress
///     _uploads/<uuid>/startedat                          RFC 3339 start time (for upload purging)
///     _uploads/<uuid>/hashstates/<alg>/<offset>          distribution's saved hash states (Wharf
///                                                        writes none and re-hashes on a cache miss)
///     _referrers/<alg>/<subject hex>/<alg>/<hex>/link    Wharf extension, ignored by distribution:
///                                                        "<alg>:<hex>" of a manifest whose
///                                                        `subject` is <alg>:<subject hex>
///     _proxy/tags/<tag>/checkedat                        Wharf extension: when a pull-through tag was
///                                                        last confirmed upstream (PullThrough/CachedTagChecks.swift)
/// ```
/// Link files hold the digest string with no trailing newline.
public struct RegistryPaths: Sendable {
    /// The layout's root, `/docker/registry/v2`.
    public let root: String

    /// A layout rooted at `root` (distribution's default unless a test says otherwise).
    public init(root: String = "/docker/registry/v2") {
        self.root = root
    }

    /// `blobs/`: the global, content-addressed blob store.
    public var blobsRoot: String { root + "/blobs" }
    /// `repositories/`: per-repository links and uploads.
    public var repositoriesRoot: String { root + "/repositories" }

    /// `blobs/<alg>/<xx>/<hex>` (the directory holding `data`).
    public func blobDirectory(_ d: Digest) -> String {
        "\(blobsRoot)/\(d.algorithm.rawValue)/\(d.hex.prefix(2))/\(d.hex)"
    }
    /// The bytes of a blob (layers, configs and manifests alike).
    public func blobData(_ d: Digest) -> String { blobDirectory(d) + "/data" }

    /// A repository's directory; nested names nest directories.
    public func repository(_ name: RepositoryName) -> String { "\(repositoriesRoot)/\(name.value)" }

    /// `_layers/`: blobs linked into the repository.
    public func layersRoot(_ name: RepositoryName) -> String { repository(name) + "/_layers" }
    /// The link that makes a blob part of a repository.
    public func layerLink(_ name: RepositoryName, _ d: Digest) -> String {
        "\(layersRoot(name))/\(d.algorithm.rawValue)/\(d.hex)/link"
    }

    /// `_manifests/`: revisions and tags.
    public func manifestsRoot(_ name: RepositoryName) -> String { repository(name) + "/_manifests" }
    /// `_manifests/revisions/`: every manifest revision of the repository.
    public func revisionsRoot(_ name: RepositoryName) -> String { manifestsRoot(name) + "/revisions" }
    /// The link that makes a manifest a revision of the repository.
    public func revisionLink(_ name: RepositoryName, _ d: Digest) -> String {
        "\(revisionsRoot(name))/\(d.algorithm.rawValue)/\(d.hex)/link"
    }
    /// The directory holding a revision's link.
    public func revisionDirectory(_ name: RepositoryName, _ d: Digest) -> String {
        "\(revisionsRoot(name))/\(d.algorithm.rawValue)/\(d.hex)"
    }

    /// `_manifests/tags/`: one directory per tag.
    public func tagsRoot(_ name: RepositoryName) -> String { manifestsRoot(name) + "/tags" }
    /// A tag's directory (deleting it removes the tag).
    public func tagDirectory(_ name: RepositoryName, _ tag: Tag) -> String { "\(tagsRoot(name))/\(tag.value)" }
    /// What the tag points at now.
    public func tagCurrentLink(_ name: RepositoryName, _ tag: Tag) -> String { tagDirectory(name, tag) + "/current/link" }
    /// The tag's history: one link per digest it ever pointed at.
    public func tagIndexDirectory(_ name: RepositoryName, _ tag: Tag) -> String { tagDirectory(name, tag) + "/index" }
    /// One entry of the tag's history (every digest it ever pointed at).
    public func tagIndexLink(_ name: RepositoryName, _ tag: Tag, _ d: Digest) -> String {
        "\(tagIndexDirectory(name, tag))/\(d.algorithm.rawValue)/\(d.hex)/link"
    }

    /// An upload in progress.
    public func uploadDirectory(_ name: RepositoryName, _ uuid: String) -> String { "\(repository(name))/_uploads/\(uuid)" }
    /// The bytes received so far for an upload.
    public func uploadData(_ name: RepositoryName, _ uuid: String) -> String { uploadDirectory(name, uuid) + "/data" }
    /// When an upload started (RFC 3339), for purging stale uploads.
    public func uploadStartedAt(_ name: RepositoryName, _ uuid: String) -> String { uploadDirectory(name, uuid) + "/startedat" }

    /// The manifests whose `subject` is `subject` (Wharf extension).
    public func referrersDirectory(_ name: RepositoryName, subject: Digest) -> String {
        "\(repository(name))/_referrers/\(subject.algorithm.rawValue)/\(subject.hex)"
    }
    /// One referrer of `subject`.
    public func referrerLink(_ name: RepositoryName, subject: Digest, referrer: Digest) -> String {
        "\(referrersDirectory(name, subject: subject))/\(referrer.algorithm.rawValue)/\(referrer.hex)/link"
    }
}
