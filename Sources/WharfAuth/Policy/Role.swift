/// The roles a binding can grant, named as OpenShift names them.
public enum Role: String, Sendable, CaseIterable {
    /// Pull.
    case registryViewer = "registry-viewer"
    /// Pull and push.
    case registryEditor = "registry-editor"
    /// Pull and push: what builds use.
    case imageBuilder = "system:image-builder"
    /// Pull, push and delete; the catalog, metrics and administration too when bound on
    /// every project (`*`).
    case registryAdmin = "registry-admin"
    /// `/extensions/v2/metrics` only.
    case prometheusScraper = "prometheus-scraper"

    /// The verbs this role grants on a project it is bound to. `allProjects` is true for a
    /// binding on `*`, which is what makes an admin's catalog and metrics access.
    public func verbs(allProjects: Bool) -> Set<AccessVerb> {
        switch self {
        case .registryViewer: return [.pull]
        case .registryEditor, .imageBuilder: return [.pull, .push]
        case .registryAdmin: return allProjects ? [.pull, .push, .delete, .catalog, .metrics, .admin] : [.pull, .push, .delete]
        case .prometheusScraper: return [.metrics]
        }
    }
}
