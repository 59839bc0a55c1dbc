import Foundation

extension Configuration {
    /// `health.*`: distribution's periodic checks. Their results feed `/healthz` (503 while
    /// one fails) and `/debug/health` (every check with its last error).
    public struct Health: Equatable, Sendable {
        /// `health.storagedriver`; nil when not enabled (then `/healthz` asks the driver on each probe).
        public var storageDriver: Periodic? = nil
        /// `health.file[]`: unhealthy while the file exists (an operator's "take me out of rotation").
        public var files: [FileCheck] = []
        /// `health.http[]`: unhealthy when the URI does not answer with the status.
        public var http: [HTTPCheck] = []
        /// `health.tcp[]`: unhealthy when the address does not accept a connection.
        public var tcp: [TCPCheck] = []
        /// No checks.
        public init() {}
    }

    /// How often a check runs and how many failures in a row make it unhealthy.
    public struct Periodic: Equatable, Sendable {
        /// `interval` in seconds (default 10s).
        public var interval: Double = 10
        /// `threshold`: failures in a row before the check reports (0 or 1: the first).
        public var threshold: Int = 0
        /// `timeout` in seconds for one attempt (http and tcp; default 1s).
        public var timeout: Double = 1
        /// The defaults.
        public init() {}
    }

    /// `health.file[]` entry.
    public struct FileCheck: Equatable, Sendable {
        public var file: String
        public var periodic = Periodic()
    }

    /// `health.http[]` entry.
    public struct HTTPCheck: Equatable, Sendable {
        public var uri: String
        /// Request headers, name → values.
        public var headers: [String: [String]] = [:]
        /// Expected status (default 200).
        public var statusCode: Int = 200
        public var periodic = Periodic()
    }

    /// `health.tcp[]` entry.
    public struct TCPCheck: Equatable, Sendable {
        /// `host:port`.
        public var addr: String
        public var periodic = Periodic()
    }

    /// `http.debug.*`.
    public struct Debug: Equatable, Sendable {
        /// `addr`: where the debug listener binds (`localhost:5001`).
        public var addr: String
        /// `prometheus.enabled`: serve the metrics there, without auth.
        public var prometheusEnabled: Bool = false
        /// `prometheus.path` (default `/metrics`).
        public var prometheusPath: String = "/metrics"
        public init(addr: String) { self.addr = addr }
    }
}

extension Configuration {
    /// Reads `health.*`.
    static func decodeHealth(_ node: YAMLNode?) throws -> Health {
        var h = Health()
        guard let node, !node.isNull else { return h }
        func periodic(_ n: YAMLNode, _ path: String) throws -> Periodic {
            var p = Periodic()
            if let v = try optionalDuration(n["interval"], "\(path).interval", positive: true) { p.interval = v }
            if let v = try optionalDuration(n["timeout"], "\(path).timeout", positive: true) { p.timeout = v }
            if let v = n["threshold"], !v.isNull {
                p.threshold = try v.int(at: "\(path).threshold")
                if p.threshold < 0 { throw v.error("\(path).threshold: must not be negative") }
            }
            return p
        }
        func items(_ key: String) -> [(YAMLNode, String)] {
            (node[key]?.sequence ?? []).enumerated().map { ($0.element, "health.\(key)[\($0.offset)]") }
        }
        if let s = node["storagedriver"], !s.isNull {
            let enabled = try s["enabled"].map { $0.isNull ? false : try $0.bool(at: "health.storagedriver.enabled") } ?? false
            if enabled { h.storageDriver = try periodic(s, "health.storagedriver") }
        }
        for (item, path) in items("file") {
            guard let file = try optionalString(item["file"], "\(path).file") else { throw item.error("\(path).file: required") }
            h.files.append(FileCheck(file: file, periodic: try periodic(item, path)))
        }
        for (item, path) in items("http") {
            guard let uri = try optionalString(item["uri"], "\(path).uri") else { throw item.error("\(path).uri: required") }
            guard let url = URL(string: uri), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw item["uri"]!.error("\(path).uri: expected an http(s) URL, found '\(uri)'")
            }
            var check = HTTPCheck(uri: uri, periodic: try periodic(item, path))
            if let headers = item["headers"] {
                for e in try headers.entries(at: "\(path).headers") { check.headers[e.key] = try e.value.stringList(at: "\(path).headers.\(e.key)") }
            }
            if let v = item["statuscode"], !v.isNull { check.statusCode = try v.int(at: "\(path).statuscode") }
            h.http.append(check)
        }
        for (item, path) in items("tcp") {
            guard let addr = try optionalString(item["addr"], "\(path).addr") else { throw item.error("\(path).addr: required") }
            guard ConfigValueParser.listenAddress(addr) != nil, !addr.hasPrefix(":") else {
                throw item["addr"]!.error("\(path).addr: expected host:port, found '\(addr)'")
            }
            h.tcp.append(TCPCheck(addr: addr, periodic: try periodic(item, path)))
        }
        return h
    }
}
