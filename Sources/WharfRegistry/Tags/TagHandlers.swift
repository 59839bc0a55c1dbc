import Foundation
import WharfAPI
import WharfHTTP

/// `GET /v2/<name>/tags/list?n=&last=`: tags in lexical order, paginated with `Link`.
/// With a pull-through `?ns=`, the tags cached from that upstream (no upstream request).
struct TagHandlers: Sendable {
    let context: RegistryContext

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let requested = try context.repositoryName(request)
        var name = requested
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if let target = try context.pullThrough?.target(requested, request), let ns = target.namespace {
            name = target.localName
            headers.set("OCI-Namespace", ns)
        }
        let pagination = try Pagination(request: request, defaultLimit: nil, maximum: nil)
        guard let all = try await ManifestStore(context: context).tags(name) else {
            throw RegistryError(.nameUnknown, detail: name.value)
        }
        let (tags, more) = pagination.page(all)
        if more, let last = tags.last, let n = pagination.limit {
            headers.set("Link", Pagination.link(path: "/v2/\(requested.value)/tags/list", last: last, limit: n))
        }
        return HTTPResponse(status: 200, headers: headers, body: .bytes(NameListJSON.tags(name: requested.value, tags: tags)))
    }
}
