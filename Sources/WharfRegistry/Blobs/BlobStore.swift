import Foundation
import WharfAPI
import WharfHTTP
import WharfStorage

/// Blobs as a repository sees them: a blob exists in a repository when the repository
/// links it (`_layers/<alg>/<hex>/link`) and its bytes are in the global blob store.
struct BlobStore: Sendable {
    let context: RegistryContext

    var driver: StorageDriver { context.driver }
    var paths: RegistryPaths { context.paths }

    /// The size of `digest` in `name`, or nil when the repository does not link it or the
    /// bytes are gone.
    /// With the Redis cache, a cached descriptor answers without touching storage, and
    /// what storage answers is cached.
    func stat(_ name: RepositoryName, _ digest: Digest) async throws -> Int64? {
        if let cache = context.blobCache, let size = await cache.size(name, digest) { return size }
        guard let linked = try await context.links.read(paths.layerLink(name, digest)), linked == digest else { return nil }
        let size = try await globalSize(digest)
        if let size, let cache = context.blobCache { await cache.remember(name, digest, size: size) }
        return size
    }

    /// The size of the blob's bytes in the global store, or nil.
    func globalSize(_ digest: Digest) async throws -> Int64? {
        do {
            let info = try await driver.stat(paths.blobData(digest))
            return info.isDirectory ? nil : info.size
        } catch StorageError.pathNotFound {
            return nil
        }
    }

    /// Links an existing global blob into `name`.
    func link(_ name: RepositoryName, _ digest: Digest) async throws {
        try await context.links.write(paths.layerLink(name, digest), digest)
    }

    /// Removes `name`'s link to `digest` (the bytes stay for garbage collection); false when not linked.
    func unlink(_ name: RepositoryName, _ digest: Digest) async throws -> Bool {
        guard try await stat(name, digest) != nil else { return false }
        let deleted = try await context.links.delete(paths.layerLink(name, digest))
        await context.blobCache?.forget(name, digest)
        return deleted
    }

    /// The response for GET/HEAD of a blob: redirect, whole or a single range.
    func serve(_ name: RepositoryName, _ digest: Digest, request: HTTPRequest) async throws -> HTTPResponse {
        guard let size = try await stat(name, digest) else {
            throw RegistryError(.blobUnknown, detail: digest.string)
        }
        let path = paths.blobData(digest)
        var headers: HTTPHeaders = [
            "Docker-Content-Digest": digest.string,
            "ETag": "\"\(digest.string)\"",
            "Cache-Control": "max-age=31536000",
            "Accept-Ranges": "bytes",
        ]
        if request.method == "GET", !context.options.redirectDisabled,
           let url = try await driver.redirectURL(path, method: request.method) {
            headers.set("Location", url)
            context.blobEvent(.pull, name, digest: digest, size: size, request)
            return HTTPResponse(status: 307, headers: headers)
        }
        headers.set("Content-Type", "application/octet-stream")
        var status = 200
        var start: Int64 = 0
        var length = size
        switch ByteRange.parse(request.headers["Range"], size: size) {
        case .whole:
            break
        case .unsatisfiable:
            var h = headers
            h.set("Content-Range", "bytes */\(size)")
            throw RegistryError(.rangeInvalid, message: "requested range not satisfiable", detail: request.headers["Range"], headers: h)
        case .satisfiable(let s, let e):
            status = 206
            start = s
            length = e - s + 1
            headers.set("Content-Range", "bytes \(s)-\(e)/\(size)")
        }
        context.blobEvent(.pull, name, digest: digest, size: size, request)
        if request.method == "HEAD" {
            return HTTPResponse(status: status, headers: headers, body: headBody(length: length))
        }
        return HTTPResponse(status: status, headers: headers, body: try await body(path, start: start, length: length))
    }

    /// The blob's bytes from `start`, `length` long: a file region when the driver has a
    /// local file (sendfile), else a stream from the driver's reader.
    func body(_ path: String, start: Int64, length: Int64) async throws -> ResponseBody {
        if length == 0 { return .empty }
        if let local = try context.storage.localFiles?.openLocalFile(path) {
            guard start + length <= local.size else {
                close(local.descriptor)
                throw StorageError.invalidOffset(path: path, offset: start + length)
            }
            return .file(FileRegion(descriptor: local.descriptor, offset: start, length: length))
        }
        let reader = try await driver.reader(path, offset: start)
        return .stream(length: length) { writer in
            defer { reader.close() }
            var remaining = length
            while remaining > 0, let chunk = try await reader.next() {
                if Int64(chunk.count) > remaining {
                    try await writer.write(chunk.prefix(Int(remaining)))
                    remaining = 0
                } else {
                    try await writer.write(chunk)
                    remaining -= Int64(chunk.count)
                }
            }
            if remaining > 0 { throw StorageError.invalidOffset(path: path, offset: start + length - remaining) }
        }
    }
}
