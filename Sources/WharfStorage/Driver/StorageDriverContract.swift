/// The rules every ``StorageDriver`` keeps, and what the registry stores through it.
/// Documentation only; the shared driver suite (`Tests/WharfStorageTests/Driver*Tests.swift`,
/// run against every case of `DriverUnderTest`) checks the rules against every driver.
///
/// ## Contract
/// - Paths are ``StoragePath``s: absolute, `/`-separated, components of `[A-Za-z0-9._-]`,
///   no empty, `.` or `..` component. Anything else is ``StorageError/invalidPath(_:)``
///   for every operation. `/` is the root: it can be listed, walked and stat'ed, never
///   written, moved or deleted.
/// - Directories are implied: writing `/a/b/c` makes `/a` and `/a/b` exist; they exist
///   as long as something is below them (the filesystem driver may keep empty ones).
/// - `putContent` is atomic: a concurrent reader sees the old or the new content, never a mix.
/// - `reader(path, offset)`: `offset == size` gives an empty reader; `offset > size` or
///   `< 0` is ``StorageError/invalidOffset(path:offset:)``.
/// - `writer(path, append: false)` starts empty (replacing any content);
///   `append: true` resumes a closed writer's content and throws
///   ``StorageError/pathNotFound(_:)`` when there is none. `size` counts every byte so far.
///   `close` keeps the content resumable, `commit` makes it final, `cancel` removes it.
/// - `list` returns direct children as absolute paths, sorted; a missing path or a file is
///   `pathNotFound`. `walk` visits below a directory in lexical order, depth first, honouring
///   ``WalkAction/skipDirectory`` and ``WalkAction/stop``.
/// - `move` replaces the destination and creates its parents; a missing source is
///   `pathNotFound`. `delete` removes a file or a whole tree; a missing path is `pathNotFound`.
/// - Every error is a ``StorageError`` (``InstrumentedDriver`` enforces it for any driver).
///
/// ## Layout (CNCF distribution v2, so existing volumes and buckets are served as is)
/// ```
/// /docker/registry/v2/blobs/sha256/<first two hex>/<hex>/data          blob content
/// /docker/registry/v2/repositories/<name>/_layers/sha256/<hex>/link     blob linked into a repo
/// /docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<hex>/link
/// /docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/current/link
/// /docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/index/sha256/<hex>/link
/// /docker/registry/v2/repositories/<name>/_uploads/<uuid>/{data,startedat,hashstates/...}
/// ```
/// A `link` file holds a digest (`sha256:<hex>`); `data` holds the bytes. Paths are built
/// by `RegistryPaths` in WharfRegistry, never by hand.
public enum StorageDriverContract {}
