import Foundation
import WharfAPI
import WharfHTTP

/// `GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>`.
struct ManifestHandlers: Sendable {
    let context: RegistryContext
    var store: ManifestStore { ManifestStore(context: context) }

    /// Serves the stored bytes with the stored media type (never converted), or 404 when
    /// the client's `Accept` rules the stored type out (see ``ManifestNegotiation``).
    /// A reference that is neither a tag nor a digest names no manifest: 404 MANIFEST_UNKNOWN,
    /// as the OCI conformance suites expect (a PUT to it is still 400 TAG_INVALID).
    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        var name = try context.repositoryName(request)
        let raw = request.pathParameters["reference"] ?? ""
        guard let reference = try? Reference(parsing: raw) else {
            throw RegistryError(.manifestUnknown, detail: String(raw.prefix(200)))
        }
        var headers = HTTPHeaders()
        let proxied = try context.pullThrough?.target(name, request)
        if let proxied, let cache = context.pullThrough {
            name = proxied.localName
            try await cache.ensureManifest(proxied, reference, context: context)
            if let ns = proxied.namespace { headers.set("OCI-Namespace", ns) }
        }
        guard var digest = try await store.resolve(name, reference),
              var manifest = try await store.load(digest) else {
            throw RegistryError(.manifestUnknown, detail: reference.description)
        }
        if !ManifestNegotiation.accepts(request.headers, manifest.summary.mediaType) {
            if let proxied, let cache = context.pullThrough, manifest.summary.mediaType == MediaTypes.dockerManifestList,
               let child = ManifestNegotiation.defaultPlatformChild(ofList: [UInt8](manifest.data)) {
                try await cache.ensureManifest(proxied, .digest(child), context: context)
            }
            (digest, manifest) = try await negotiatedChild(name, of: manifest, reference: reference, request)
        }
        let etag = "\"\(digest.string)\""
        headers.set("Content-Type", manifest.summary.mediaType)
        headers.set("Docker-Content-Digest", digest.string)
        headers.set("ETag", etag)
        if let inm = request.headers["If-None-Match"], inm.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
            return HTTPResponse(status: 304, headers: headers)
        }
        var tag: String?
        if case .tag(let t) = reference { tag = t.value }
        context.manifestEvent(.pull, name, digest: digest, data: manifest.data, mediaType: manifest.summary.mediaType, tag: tag, request)
        if request.method == "HEAD" {
            return HTTPResponse(status: 200, headers: headers, body: headBody(length: Int64(manifest.data.count)))
        }
        return HTTPResponse(status: 200, headers: headers, body: .bytes(manifest.data))
    }

    /// For a client that does not accept the stored type: a manifest list's linux/amd64
    /// child when the client accepts that, else 404 MANIFEST_UNKNOWN saying why.
    private func negotiatedChild(_ name: RepositoryName, of manifest: StoredManifest, reference: Reference,
                                 _ request: HTTPRequest) async throws -> (Digest, StoredManifest) {
        let mediaType = manifest.summary.mediaType
        if mediaType == MediaTypes.dockerManifestList,
           let child = ManifestNegotiation.defaultPlatformChild(ofList: [UInt8](manifest.data)),
           let linked = try await store.resolve(name, .digest(child)),
           let childManifest = try await store.load(linked),
           ManifestNegotiation.accepts(request.headers, childManifest.summary.mediaType) {
            return (linked, childManifest)
        }
        throw RegistryError(.manifestUnknown,
                            message: "manifest of type \(mediaType) found, but the Accept header does not include it",
                            detail: reference.description)
    }

    /// Stores the manifest under its reference and sets every `?tag=` of the query too
    /// (the spec's multi-tag push), answering one `OCI-Tag` header per tag set. Every tag is
    /// checked before anything is stored: one invalid tag is 400 TAG_INVALID and sets nothing.
    func put(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        let reference = try Reference(parsing: request.pathParameters["reference"] ?? "")
        let tags = try Self.tags(of: reference, request)
        try context.requireWritable()
        try context.requireOwnRepository(name, request)
        let limit = context.options.maxManifestSize
        let data: Data
        do {
            data = try await request.body.collect(upTo: limit)
        } catch RequestBodyError.tooLarge {
            throw RegistryError(.manifestInvalid, message: "manifest too large", detail: "manifests are limited to \(limit) bytes", status: 413)
        }
        let (digest, document) = try await store.put(name, reference, tags: tags, data: data,
                                                     contentType: request.headers["Content-Type"])
        var headers: HTTPHeaders = [
            "Location": context.locations.url("/v2/\(name.value)/manifests/\(digest.string)", for: request),
            "Docker-Content-Digest": digest.string,
        ]
        if let subject = document.subject { headers.set("OCI-Subject", subject.digest.string) }
        for tag in tags { headers.add("OCI-Tag", tag.value) }
        for tag in tags.isEmpty ? [nil] : tags.map(\.value) as [String?] {
            context.manifestEvent(.push, name, digest: digest, data: data, mediaType: document.mediaType, tag: tag, request)
        }
        return HTTPResponse(status: 201, headers: headers)
    }

    /// The tags a PUT sets: the reference when it is a tag, then each `?tag=` in order,
    /// without repeats. TAG_INVALID (400) when any `?tag=` is not a valid tag.
    static func tags(of reference: Reference, _ request: HTTPRequest) throws -> [Tag] {
        var tags: [Tag] = []
        if case .tag(let t) = reference { tags.append(t) }
        for value in request.queryValues("tag") {
            guard let tag = Tag(value) else {
                throw RegistryError(.tagInvalid, detail: "invalid tag: \(value.prefix(200))")
            }
            if !tags.contains(tag) { tags.append(tag) }
        }
        return tags
    }

    /// By digest: the revision and every tag pointing at it; by tag: that tag only. 202.
    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        let reference = try Reference(parsing: request.pathParameters["reference"] ?? "")
        try context.requireOwnRepository(name, request)
        try context.requireDeleteEnabled()
        switch reference {
        case .digest(let d):
            guard let untagged = try await store.deleteRevision(name, d) else {
                throw RegistryError(.manifestUnknown, detail: reference.description)
            }
            // distribution reports the revision, then each tag that pointed at it.
            context.deleteEvent(name, digest: d, request)
            for tag in untagged { context.deleteEvent(name, tag: tag, request) }
        case .tag(let t):
            guard try await store.deleteTag(name, t) else { throw RegistryError(.manifestUnknown, detail: reference.description) }
            context.deleteEvent(name, tag: t.value, request)
        }
        return HTTPResponse(status: 202)
    }
}
