import Foundation
import WharfAPI
import WharfHTTP
import WharfStorage

/// `GET /v2/<name>/referrers/<digest>?artifactType=`: an OCI image index of the manifests
/// whose `subject` is `<digest>`, from the `_referrers` index (no repository scan).
struct ReferrersHandler: Sendable {
    let context: RegistryContext

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = try context.repositoryName(request)
        let subject = try Digest(parsing: request.pathParameters["digest"] ?? "")
        let filter = request.queryValue("artifactType").flatMap { $0.isEmpty ? nil : $0 }
        let store = ManifestStore(context: context)
        var descriptors: [[String: Any]] = []
        for referrer in try await referrerDigests(name, subject) {
            guard try await store.exists(name, referrer), let m = try await store.load(referrer) else { continue }
            if let filter, m.summary.artifactType != filter { continue }
            var d: [String: Any] = ["mediaType": m.summary.mediaType, "digest": referrer.string, "size": m.data.count]
            if let t = m.summary.artifactType { d["artifactType"] = t }
            if let a = m.summary.annotations, !a.isEmpty { d["annotations"] = a }
            descriptors.append(d)
        }
        let index: [String: Any] = ["schemaVersion": 2, "mediaType": MediaTypes.ociIndex, "manifests": descriptors]
        var headers: HTTPHeaders = ["Content-Type": MediaTypes.ociIndex]
        if filter != nil { headers.set("OCI-Filters-Applied", "artifactType") }
        let body = try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys, .withoutEscapingSlashes])
        return HTTPResponse(status: 200, headers: headers, body: .bytes(body))
    }

    /// The digests recorded under `_referrers/<alg>/<subject hex>/`, sorted.
    func referrerDigests(_ name: RepositoryName, _ subject: Digest) async throws -> [Digest] {
        let dir = context.paths.referrersDirectory(name, subject: subject)
        var out: [Digest] = []
        let algorithms: [String]
        do { algorithms = try await context.driver.list(dir) } catch StorageError.pathNotFound { return [] }
        for algDir in algorithms {
            let entries: [String]
            do { entries = try await context.driver.list(algDir) } catch StorageError.pathNotFound { continue }
            for entry in entries {
                if let d = try await context.links.read(entry + "/link") { out.append(d) }
            }
        }
        return out.sorted()
    }
}
