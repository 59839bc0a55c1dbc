import Foundation

/// The operator's `openshift.metrics.*` and `openshift.requests.*` settings, as the
/// OpenShift image registry reads them (`REGISTRY_OPENSHIFT_METRICS_ENABLED`,
/// `REGISTRY_OPENSHIFT_REQUESTS_READ_MAXRUNNING`, ...).
public struct OperationsConfiguration: Equatable, Sendable {
    /// `openshift.metrics.enabled`: serve `/extensions/v2/metrics`.
    public var metricsEnabled: Bool = false
    /// `openshift.metrics.secret`: bearer secret that grants access to the metrics.
    public var metricsSecret: String? = nil
    /// `openshift.requests.read.*`: limits for GET, HEAD and OPTIONS.
    public var readLimits = RequestLimits()
    /// `openshift.requests.write.*`: limits for every other method.
    public var writeLimits = RequestLimits()

    /// Metrics off, no request limits.
    public init() {}

    /// One class of requests' limits; 0 means unlimited (`maxinqueue` 0: no queue).
    public struct RequestLimits: Equatable, Sendable {
        /// `maxrunning`: requests served at once; 0 = unlimited.
        public var maxRunning: Int = 0
        /// `maxinqueue`: requests waiting for a slot; 0 = none wait (refused at once).
        public var maxInQueue: Int = 0
        /// `maxwaitinqueue`: seconds a request may wait; 0 = no deadline.
        public var maxWaitInQueue: Double = 0
        /// Unlimited.
        public init() {}
    }

    /// The keys under `openshift` this section reads.
    static let schemaKeys: [(String, ConfigSchema)] = [
        ("metrics", .section([("enabled", .scalar), ("secret", .scalar)])),
        ("requests", .section(["read", "write"].map { ($0, ConfigSchema.section([
            ("maxrunning", .scalar), ("maxinqueue", .scalar), ("maxwaitinqueue", .scalar),
        ])) })),
    ]

    /// Reads `openshift.metrics` and `openshift.requests` from the `openshift` node.
    static func decode(_ openshift: YAMLNode?) throws -> OperationsConfiguration {
        var c = OperationsConfiguration()
        guard let openshift, !openshift.isNull else { return c }
        if let metrics = openshift["metrics"] {
            if let node = metrics["enabled"], !node.isNull { c.metricsEnabled = try node.bool(at: "openshift.metrics.enabled") }
            if let node = metrics["secret"], !node.isNull {
                let v = try node.string(at: "openshift.metrics.secret")
                c.metricsSecret = v.isEmpty ? nil : v
            }
        }
        if let requests = openshift["requests"] {
            c.readLimits = try limits(requests["read"], "openshift.requests.read")
            c.writeLimits = try limits(requests["write"], "openshift.requests.write")
        }
        return c
    }

    private static func limits(_ node: YAMLNode?, _ path: String) throws -> RequestLimits {
        var l = RequestLimits()
        guard let node, !node.isNull else { return l }
        if let v = node["maxrunning"], !v.isNull { l.maxRunning = try v.int(at: "\(path).maxrunning") }
        if let v = node["maxinqueue"], !v.isNull { l.maxInQueue = try v.int(at: "\(path).maxinqueue") }
        if let v = node["maxwaitinqueue"], !v.isNull {
            l.maxWaitInQueue = try v.duration(at: "\(path).maxwaitinqueue")
            if l.maxWaitInQueue < 0 { throw v.error("\(path).maxwaitinqueue: must not be negative") }
        }
        return l
    }
}

extension OperationsConfiguration {
    /// The `metrics` and `requests` entries of the printed `openshift` section; the
    /// metrics secret is `*****` when `maskSecrets`.
    func printedEntries(maskSecrets: Bool) -> [YAMLEntry] {
        func scalar(_ s: String) -> YAMLNode { YAMLNode(.scalar(s, .doubleQuoted), line: 0, origin: "") }
        func map(_ e: [(String, YAMLNode)]) -> YAMLNode {
            YAMLNode(.mapping(e.map { YAMLEntry(key: $0.0, keyLine: 0, value: $0.1) }), line: 0, origin: "")
        }
        var metrics: [(String, YAMLNode)] = [("enabled", scalar(String(metricsEnabled)))]
        if let secret = metricsSecret { metrics.append(("secret", scalar(maskSecrets ? ConfigurationPrinter.mask : secret))) }
        func limits(_ l: RequestLimits) -> YAMLNode {
            map([("maxrunning", scalar(String(l.maxRunning))), ("maxinqueue", scalar(String(l.maxInQueue))),
                 ("maxwaitinqueue", scalar(ConfigValueParser.formatDuration(l.maxWaitInQueue)))])
        }
        return [YAMLEntry(key: "metrics", keyLine: 0, value: map(metrics)),
                YAMLEntry(key: "requests", keyLine: 0, value: map([("read", limits(readLimits)), ("write", limits(writeLimits))]))]
    }
}
