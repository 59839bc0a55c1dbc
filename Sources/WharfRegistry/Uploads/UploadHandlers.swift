import Foundation
import WharfAPI
import WharfHTTP
import WharfStorage

/// `POST /v2/<name>/blobs/uploads/` and `GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<uuid>`.
struct UploadHandlers: Sendable {
    let context: RegistryContext

    // MARK: POST: start, monolithic, mount

    func start(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        try context.requireWritable()
        try context.requireOwnRepository(name, request)
        if let mounted = try await mount(name, request) { return mounted }
        if let digestParam = request.queryValue("digest") {
            let digest = try Digest(parsing: digestParam)
            let (session, _) = try await BlobUploadSession.start(context: context, name: name)
            let size: Int64
            do {
                size = try await session.append(request.body)
            } catch {
                _ = try? await session.cancel()
                throw error
            }
            let stored = try await session.complete(expecting: digest, knownSize: size)
            context.blobEvent(.push, name, digest: digest, size: stored, request)
            return created(name, digest, request)
        }
        let (session, startedAt) = try await BlobUploadSession.start(context: context, name: name)
        let state = UploadState(name: name.value, uuid: session.uuid, offset: 0, startedAt: startedAt)
        return HTTPResponse(status: 202, headers: progressHeaders(state, size: 0, request))
    }

    /// `?mount=<digest>&from=<repo>`: 201 when `from` links the blob; nil (start a normal
    /// upload) when it does not or the parameters are unusable, as distribution does.
    /// Auth marks a mount whose caller may not pull `from` (attribute `wharf.auth.mount`).
    private func mount(_ name: RepositoryName, _ request: HTTPRequest) async throws -> HTTPResponse? {
        if request.attributes["wharf.auth.mount"] == "denied" { return nil }
        guard let m = request.queryValue("mount"), let digest = Digest.parse(m),
              let f = request.queryValue("from"), let from = try? RepositoryName(f) else { return nil }
        let store = BlobStore(context: context)
        guard let size = try await store.stat(from, digest) else { return nil }
        try await store.link(name, digest)
        context.blobEvent(.mount, name, digest: digest, size: size, from: from, request)
        return created(name, digest, request)
    }

    // MARK: GET status, PATCH, PUT, DELETE

    func status(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (session, state) = try await resolve(request)
        guard let size = try await session.currentSize() else { throw unknown(session.uuid) }
        var s = try await stateFor(session, state)
        s.offset = size
        return HTTPResponse(status: 204, headers: progressHeaders(s, size: size, request))
    }

    func patch(_ request: HTTPRequest) async throws -> HTTPResponse {
        try context.requireWritable()
        let (session, state) = try await resolve(request)
        var s = try await stateFor(session, state)
        // `append` answers BLOB_UPLOAD_UNKNOWN for a missing upload.
        let size = try await session.append(request.body) { current in
            try checkChunk(request, currentSize: current, state: s)
        }
        s.offset = size
        return HTTPResponse(status: 202, headers: progressHeaders(s, size: size, request))
    }

    func put(_ request: HTTPRequest) async throws -> HTTPResponse {
        try context.requireWritable()
        guard let digestParam = request.queryValue("digest") else {
            throw RegistryError(.digestInvalid, detail: "the digest query parameter is required")
        }
        let digest = try Digest(parsing: digestParam)
        let (session, state) = try await resolve(request)
        var size: Int64?
        if request.body.hasMore || request.headers["Content-Range"] != nil {
            // `append` answers BLOB_UPLOAD_UNKNOWN for a missing upload, `complete` otherwise.
            let s = try await stateFor(session, state)
            size = try await session.append(request.body) { current in
                try checkChunk(request, currentSize: current, state: s)
            }
        }
        let stored = try await session.complete(expecting: digest, knownSize: size)
        let name = session.name
        context.blobEvent(.push, name, digest: digest, size: stored, request)
        return created(name, digest, request)
    }

    func cancel(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (session, _) = try await resolve(request)
        guard try await session.cancel() else { throw unknown(session.uuid) }
        return HTTPResponse(status: 204)
    }

    // MARK: helpers

    /// The session named by the path, after checking the `_state` token when present.
    /// Storage is the authority on the upload's size; the token proves the URL was issued
    /// by a replica sharing `http.secret` for this repository and upload.
    private func resolve(_ request: HTTPRequest) async throws -> (BlobUploadSession, UploadState?) {
        let name = try context.repositoryName(request)
        let uuid = request.pathParameters["uuid"] ?? ""
        guard BlobUploadSession.isValidID(uuid) else { throw unknown(uuid) }
        var state: UploadState?
        if let token = request.queryValue("_state") {
            let s = try context.uploadTokens.verify(token)
            // A token issued for another repository's upload: from this repository's view
            // the upload does not exist (and saying more would leak that it exists elsewhere).
            guard s.name == name.value, s.uuid == uuid else { throw unknown(uuid) }
            state = s
        }
        return (BlobUploadSession(context: context, name: name, uuid: uuid), state)
    }

    private func stateFor(_ session: BlobUploadSession, _ state: UploadState?) async throws -> UploadState {
        if let state { return state }
        return UploadState(name: session.name.value, uuid: session.uuid, offset: 0, startedAt: await session.startedAt())
    }

    /// `Content-Range` must start at the current size (416 otherwise, with the current
    /// `Range`), and `Content-Length` must equal its length (SIZE_INVALID).
    private func checkChunk(_ request: HTTPRequest, currentSize: Int64, state: UploadState) throws {
        guard let header = request.headers["Content-Range"] else { return }
        guard let range = ContentRange(header) else {
            throw RegistryError(.rangeInvalid, detail: "malformed Content-Range: \(header.prefix(100))",
                                headers: progressHeaders(state, size: currentSize, request))
        }
        guard range.start == currentSize else {
            var s = state
            s.offset = currentSize
            throw RegistryError(.rangeInvalid, detail: "chunk starts at \(range.start), upload has \(currentSize) bytes",
                                headers: progressHeaders(s, size: currentSize, request))
        }
        if let cl = request.headers["Content-Length"], let length = Int64(cl), length != range.length {
            throw RegistryError(.sizeInvalid, detail: "Content-Length \(length) does not match Content-Range \(header.prefix(100))")
        }
        if let declared = request.body.declaredLength, declared != range.length {
            throw RegistryError(.sizeInvalid, detail: "body length \(declared) does not match Content-Range \(header.prefix(100))")
        }
    }

    /// `Location` (with a fresh `_state`), `Range: 0-<size-1>`, `Docker-Upload-UUID`.
    private func progressHeaders(_ state: UploadState, size: Int64, _ request: HTTPRequest) -> HTTPHeaders {
        var s = state
        s.offset = size
        let token = context.uploadTokens.sign(s)
        let path = "/v2/\(s.name)/blobs/uploads/\(s.uuid)?_state=\(Pagination.percentEncodeQuery(token))"
        return [
            "Location": context.locations.url(path, for: request),
            "Range": "0-\(max(size - 1, 0))",
            "Docker-Upload-UUID": s.uuid,
        ]
    }

    private func created(_ name: RepositoryName, _ digest: Digest, _ request: HTTPRequest) -> HTTPResponse {
        HTTPResponse(status: 201, headers: [
            "Location": context.locations.url("/v2/\(name.value)/blobs/\(digest.string)", for: request),
            "Docker-Content-Digest": digest.string,
        ])
    }

    private func unknown(_ uuid: String) -> RegistryError {
        RegistryError(.blobUploadUnknown, detail: String(uuid.prefix(128)))
    }
}
