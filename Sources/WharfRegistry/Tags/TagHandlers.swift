import Foundation
import WharfAPI
import WharfHTTP

/// `GET /v2/<name>/tags/list?n=&last=`: tags in lexical order, paginated with `Link`.
struct TagHandlers: Sendable {
    let context: RegistryContext

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        let pagination = try Pagination(request: request, defaultLimit: nil, maximum: nil)
        guard let all = try await ManifestStore(context: context).tags(name) else {
            throw RegistryError(.nameUnknown, detail: name.value)
        }
        let (tags, more) = pagination.page(all)
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if more, let last = tags.last, let n = pagination.limit {
            headers.set("Link", Pagination.link(path: "/v2/\(name.value)/tags/list", last: last, limit: n))
        }
        return HTTPResponse(status: 200, headers: headers, body: .bytes(NameListJSON.tags(name: name.value, tags: tags)))
    }
}
