import Foundation
import WharfAPI
import WharfHTTP

/// The events the handlers report, built as distribution's notification bridge builds
/// them: manifests with their media type, size, digest and URL (and the tag when the
/// request named one), blobs as `application/octet-stream`, deletes with the repository
/// and the digest or tag only.
extension RegistryContext {
    /// A manifest pushed (PUT) or pulled (GET and HEAD, as distribution counts both).
    func manifestEvent(_ action: RegistryEvent.Action, _ name: RepositoryName, digest: Digest, data: Data,
                       mediaType: String, tag: String?, _ request: HTTPRequest) {
        guard let notifier else { return }
        var target = RegistryEvent.Target(repository: name.value)
        target.mediaType = mediaType
        target.size = Int64(data.count)
        target.digest = digest.string
        target.url = locations.url("/v2/\(name.value)/manifests/\(digest.string)", for: request)
        target.tag = tag
        if notifier.includeReferences, let document = try? ManifestDocument.parse(data, contentType: mediaType) {
            let refs = (document.config.map { [$0] } ?? []) + document.layers + document.manifests
            target.references = refs.map { .init(mediaType: $0.mediaType, size: $0.size, digest: $0.digest.string) }
        }
        emit(action, target, request)
    }

    /// A blob pushed (upload completed), pulled (GET and HEAD) or mounted from `from`.
    func blobEvent(_ action: RegistryEvent.Action, _ name: RepositoryName, digest: Digest, size: Int64,
                   from: RepositoryName? = nil, _ request: HTTPRequest) {
        guard notifier != nil else { return }
        var target = RegistryEvent.Target(repository: name.value)
        target.mediaType = "application/octet-stream"
        target.size = size
        target.digest = digest.string
        target.url = locations.url("/v2/\(name.value)/blobs/\(digest.string)", for: request)
        target.fromRepository = from?.value
        emit(action, target, request)
    }

    /// A manifest revision or blob deleted (`digest`), or a tag removed (`tag`).
    func deleteEvent(_ name: RepositoryName, digest: Digest? = nil, tag: String? = nil, _ request: HTTPRequest) {
        guard notifier != nil else { return }
        var target = RegistryEvent.Target(repository: name.value)
        target.digest = digest?.string
        target.tag = tag
        emit(.delete, target, request)
    }

    private func emit(_ action: RegistryEvent.Action, _ target: RegistryEvent.Target, _ request: HTTPRequest) {
        guard let notifier else { return }
        let record = RegistryEvent.RequestRecord(
            id: request.requestID, addr: Self.clientAddress(request), host: request.headers["Host"] ?? "",
            method: request.method, userAgent: request.headers["User-Agent"] ?? "")
        notifier.write(RegistryEvent(action: action, target: target, request: record,
                                     actor: request.attributes["user"], source: notifier.source))
    }

    /// The client as distribution names it: the first `X-Forwarded-For` entry, else
    /// `X-Real-Ip`, else the connection's peer.
    static func clientAddress(_ request: HTTPRequest) -> String {
        if let forwarded = LocationBuilder.firstValue(request.headers["X-Forwarded-For"]) { return forwarded }
        if let real = LocationBuilder.firstValue(request.headers["X-Real-Ip"]) { return real }
        return request.remoteAddress
    }
}
