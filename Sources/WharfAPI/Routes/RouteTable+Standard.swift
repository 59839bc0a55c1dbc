extension RouteTable {
    /// Every route Wharf serves. Adding a route: one entry here (its access rule is
    /// required) and its handler bound by id in the registry.
    public static let standard: RouteTable = {
        do {
            return try RouteTable(standardRoutes)
        } catch {
            fatalError("the standard route table is invalid: \(error)")
        }
    }()

    static let standardRoutes: [APIRoute] = [
        APIRoute(.base, "GET", "/v2/", access: .authenticated),
        APIRoute(.baseWithoutSlash, "GET", "/v2", access: .authenticated),
        APIRoute(.health, "GET", "/healthz", access: .health),
        APIRoute(.root, "GET", "/", access: .health),
        APIRoute(.debugHealth, "GET", "/debug/health", access: .health),
        APIRoute(.metrics, "GET", "/extensions/v2/metrics", access: .metrics),
        APIRoute(.pruner, "GET", "/extensions/v2/pruner", access: .admin),
        APIRoute(.token, "GET", "/openshift/token", access: .tokenEndpoint),
        APIRoute(.catalog, "GET", "/v2/_catalog", access: .catalog, operation: "Catalog.Repositories"),

        APIRoute(.uploadStart, "POST", "/v2/{name*}/blobs/uploads/", access: .repository(.push), operation: "BlobStore.Create"),
        APIRoute(.uploadStartWithoutSlash, "POST", "/v2/{name*}/blobs/uploads", access: .repository(.push),
                 operation: "BlobStore.Create"),
        APIRoute(.uploadStatus, "GET", "/v2/{name*}/blobs/uploads/{uuid}", access: .repository(.push), operation: "BlobStore.Resume"),
        APIRoute(.uploadPatch, "PATCH", "/v2/{name*}/blobs/uploads/{uuid}", access: .repository(.push),
                 operation: "BlobWriter.ReadFrom"),
        APIRoute(.uploadPut, "PUT", "/v2/{name*}/blobs/uploads/{uuid}", access: .repository(.push), operation: "BlobWriter.Commit"),
        APIRoute(.uploadCancel, "DELETE", "/v2/{name*}/blobs/uploads/{uuid}", access: .repository(.push),
                 operation: "BlobWriter.Cancel"),

        APIRoute(.blobGet, "GET", "/v2/{name*}/blobs/{digest}", access: .repository(.pull),
                 operation: "BlobStore.ServeBlob", headOperation: "BlobStore.Stat"),
        APIRoute(.blobDelete, "DELETE", "/v2/{name*}/blobs/{digest}", access: .repository(.delete), operation: "BlobStore.Delete"),

        APIRoute(.manifestGet, "GET", "/v2/{name*}/manifests/{reference}", access: .repository(.pull),
                 operation: "ManifestService.Get", headOperation: "ManifestService.Exists"),
        APIRoute(.manifestPut, "PUT", "/v2/{name*}/manifests/{reference}", access: .repository(.push),
                 operation: "ManifestService.Put"),
        APIRoute(.manifestDelete, "DELETE", "/v2/{name*}/manifests/{reference}", access: .repository(.delete),
                 operation: "ManifestService.Delete"),

        APIRoute(.tagsList, "GET", "/v2/{name*}/tags/list", access: .repository(.pull), operation: "TagService.All"),
        APIRoute(.referrers, "GET", "/v2/{name*}/referrers/{digest}", access: .repository(.pull), operation: "ReferrerService.List"),
    ]
}
