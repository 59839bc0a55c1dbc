import WharfAPI
import WharfHTTP

/// `GET|HEAD|DELETE /v2/<name>/blobs/<digest>`.
struct BlobHandlers: Sendable {
    let context: RegistryContext
    var store: BlobStore { BlobStore(context: context) }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        let digest = try Digest(parsing: request.pathParameters["digest"] ?? "")
        if let cache = context.pullThrough, let target = try cache.target(name, request) {
            var response = try await cache.serveBlob(target, digest, request: request, context: context)
            if let ns = target.namespace { response.headers.set("OCI-Namespace", ns) }
            return response
        }
        return try await store.serve(name, digest, request: request)
    }

    /// Unlinks the blob from the repository (202); the bytes stay until garbage collection.
    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        let digest = try Digest(parsing: request.pathParameters["digest"] ?? "")
        try context.requireOwnRepository(name, request)
        try context.requireDeleteEnabled()
        guard try await store.unlink(name, digest) else {
            throw RegistryError(.blobUnknown, detail: digest.string)
        }
        context.deleteEvent(name, digest: digest, request)
        return HTTPResponse(status: 202, headers: ["Docker-Content-Digest": digest.string])
    }
}
