import Foundation

/// `notifications.*`: distribution's webhook endpoints and event options
/// (`REGISTRY_NOTIFICATIONS_ENDPOINTS` takes the whole list as YAML).
public struct NotificationsConfiguration: Equatable, Sendable {
    /// `notifications.endpoints[]`.
    public var endpoints: [Endpoint] = []
    /// `notifications.events.includereferences`: manifest events list the manifest's references.
    public var includeReferences = false

    /// No endpoints.
    public init() {}

    /// One endpoint, with distribution's defaults (timeout 1s, threshold 10, backoff 1s).
    public struct Endpoint: Equatable, Sendable {
        /// `name`: names the endpoint in logs and metrics (required, unique).
        public var name: String
        /// `disabled`: configured but not sent to.
        public var disabled = false
        /// `url`: the http(s) URL events are POSTed to.
        public var url: String
        /// `headers`: added to every POST.
        public var headers: [String: [String]] = [:]
        /// `timeout`: seconds one POST may take.
        public var timeout: Double = 1
        /// `threshold`: failures in a row before backing off.
        public var threshold = 10
        /// `backoff`: seconds between attempts once past `threshold`.
        public var backoff: Double = 1
        /// `ignoredmediatypes` and `ignore.mediatypes` together.
        public var ignoredMediaTypes: [String] = []
        /// `ignore.actions` (`push`, `pull`, `delete`, `mount`).
        public var ignoredActions: [String] = []
        /// `queuesize` (Wharf's own): events held for a slow or down endpoint before the oldest are dropped.
        public var queueSize = 1024

        /// An endpoint with the defaults.
        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    /// The actions `ignore.actions` may name.
    public static let actions: Set<String> = ["push", "pull", "delete", "mount"]

    static let schema: ConfigSchema = .section([
        ("events", .section([("includereferences", .scalar)])),
        ("endpoints", .list(.section([
            ("name", .scalar), ("disabled", .scalar), ("url", .scalar), ("headers", .listMap),
            ("timeout", .scalar), ("threshold", .scalar), ("backoff", .scalar),
            ("ignoredmediatypes", .list(.scalar)),
            ("ignore", .section([("mediatypes", .list(.scalar)), ("actions", .list(.scalar))])),
            ("queuesize", .scalar),
        ]))),
    ])

    /// Reads the `notifications` node (nil or null: no endpoints).
    static func decode(_ node: YAMLNode?) throws -> NotificationsConfiguration {
        var c = NotificationsConfiguration()
        guard let node, !node.isNull else { return c }
        if let v = node["events"]?["includereferences"], !v.isNull {
            c.includeReferences = try v.bool(at: "notifications.events.includereferences")
        }
        guard let list = node["endpoints"], !list.isNull else { return c }
        guard let items = list.sequence else { throw list.error("notifications.endpoints: expected a list, found \(list.kindName)") }
        for (i, item) in items.enumerated() {
            let endpoint = try decodeEndpoint(item, path: "notifications.endpoints[\(i)]")
            if c.endpoints.contains(where: { $0.name == endpoint.name }) {
                throw item.error("notifications.endpoints[\(i)].name: '\(endpoint.name)' is used by another endpoint")
            }
            c.endpoints.append(endpoint)
        }
        return c
    }

    private static func decodeEndpoint(_ item: YAMLNode, path: String) throws -> Endpoint {
        func text(_ key: String) throws -> String? {
            guard let v = item[key], !v.isNull else { return nil }
            let s = try v.string(at: "\(path).\(key)")
            return s.isEmpty ? nil : s
        }
        guard let name = try text("name") else { throw item.error("\(path).name: required") }
        guard let url = try text("url") else { throw item.error("\(path).url: required") }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty else {
            throw (item["url"] ?? item).error("\(path).url: expected an absolute http(s) URL, found '\(url)'")
        }
        var e = Endpoint(name: name, url: url)
        if let v = item["disabled"], !v.isNull { e.disabled = try v.bool(at: "\(path).disabled") }
        if let headers = item["headers"] {
            for h in try headers.entries(at: "\(path).headers") { e.headers[h.key] = try h.value.stringList(at: "\(path).headers.\(h.key)") }
        }
        // Zero or negative values take distribution's defaults, as distribution does.
        if try text("timeout") != nil, let v = item["timeout"] { let d = try v.duration(at: "\(path).timeout"); if d > 0 { e.timeout = d } }
        if try text("backoff") != nil, let v = item["backoff"] { let d = try v.duration(at: "\(path).backoff"); if d > 0 { e.backoff = d } }
        if let v = item["threshold"], !v.isNull { let n = try v.int(at: "\(path).threshold"); if n > 0 { e.threshold = n } }
        if let v = item["queuesize"], !v.isNull {
            let n = try v.int(at: "\(path).queuesize")
            guard n > 0 else { throw v.error("\(path).queuesize: must be greater than zero") }
            e.queueSize = n
        }
        for t in try (item["ignoredmediatypes"]?.stringList(at: "\(path).ignoredmediatypes") ?? [])
            + (item["ignore"]?["mediatypes"]?.stringList(at: "\(path).ignore.mediatypes") ?? []) where !e.ignoredMediaTypes.contains(t) {
            e.ignoredMediaTypes.append(t)
        }
        if let node = item["ignore"]?["actions"] {
            e.ignoredActions = try node.stringList(at: "\(path).ignore.actions")
            for a in e.ignoredActions where !actions.contains(a) {
                throw node.error("\(path).ignore.actions: unknown action '\(a)' (expected push, pull, delete or mount)")
            }
        }
        return e
    }

    /// The printed `notifications` section (header values masked when `maskSecrets`: they often carry tokens).
    func printedNode(maskSecrets: Bool) -> YAMLNode? {
        if endpoints.isEmpty && !includeReferences { return nil }
        func scalar(_ s: String) -> YAMLNode { YAMLNode(.scalar(s, .doubleQuoted), line: 0, origin: "") }
        func list(_ items: [String]) -> YAMLNode { YAMLNode(.sequence(items.map(scalar)), line: 0, origin: "") }
        func map(_ e: [(String, YAMLNode)]) -> YAMLNode {
            YAMLNode(.mapping(e.map { YAMLEntry(key: $0.0, keyLine: 0, value: $0.1) }), line: 0, origin: "")
        }
        let items = endpoints.map { e -> YAMLNode in
            var fields: [(String, YAMLNode)] = [("name", scalar(e.name)), ("disabled", scalar(String(e.disabled))), ("url", scalar(e.url))]
            if !e.headers.isEmpty {
                fields.append(("headers", map(e.headers.sorted { $0.key < $1.key }.map {
                    ($0.key, list(maskSecrets ? $0.value.map { _ in ConfigurationPrinter.mask } : $0.value))
                })))
            }
            fields += [("timeout", scalar(ConfigValueParser.formatDuration(e.timeout))), ("threshold", scalar(String(e.threshold))),
                       ("backoff", scalar(ConfigValueParser.formatDuration(e.backoff))), ("queuesize", scalar(String(e.queueSize)))]
            if !e.ignoredMediaTypes.isEmpty || !e.ignoredActions.isEmpty {
                fields.append(("ignore", map([("mediatypes", list(e.ignoredMediaTypes)), ("actions", list(e.ignoredActions))])))
            }
            return map(fields)
        }
        return map([("events", map([("includereferences", scalar(String(includeReferences)))])),
                    ("endpoints", YAMLNode(.sequence(items), line: 0, origin: ""))])
    }
}
