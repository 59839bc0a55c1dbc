import Foundation

/// One registry event in the shape distribution's notifications carry
/// (`application/vnd.docker.distribution.events.v1+json`): what happened (`action`), to
/// what (`target`), because of which request, by whom (`actor`) and on which replica
/// (`source`). Empty fields are left out of the JSON, as distribution leaves them out.
public struct RegistryEvent: Sendable, Equatable {
    /// What happened to the target.
    public enum Action: String, Sendable, CaseIterable {
        case push, pull, delete, mount
    }

    /// A content descriptor listed under `target.references`.
    public struct Reference: Sendable, Equatable {
        public var mediaType: String
        public var size: Int64
        public var digest: String
        public init(mediaType: String, size: Int64, digest: String) {
            self.mediaType = mediaType
            self.size = size
            self.digest = digest
        }
    }

    /// The manifest, blob or tag the event is about.
    public struct Target: Sendable, Equatable {
        public var mediaType: String?
        public var size: Int64?
        public var digest: String?
        public var repository: String
        public var fromRepository: String?
        public var url: String?
        public var tag: String?
        public var references: [Reference]?
        public init(repository: String) { self.repository = repository }
    }

    /// The request that caused the event.
    public struct RequestRecord: Sendable, Equatable {
        public var id: String
        public var addr: String
        public var host: String
        public var method: String
        public var userAgent: String
        public init(id: String, addr: String, host: String, method: String, userAgent: String) {
            self.id = id
            self.addr = addr
            self.host = host
            self.method = method
            self.userAgent = userAgent
        }
    }

    /// The replica that generated the event: `host:port` and this process's instance id.
    public struct Source: Sendable, Equatable {
        public var addr: String
        public var instanceID: String
        public init(addr: String, instanceID: String) {
            self.addr = addr
            self.instanceID = instanceID
        }
    }

    public var id: String
    public var timestamp: Date
    public var action: Action
    public var target: Target
    public var request: RequestRecord
    /// The authenticated user, nil for anonymous requests.
    public var actor: String?
    public var source: Source

    /// An event stamped now with a fresh id.
    public init(action: Action, target: Target, request: RequestRecord, actor: String?, source: Source,
                id: String = EventID.next(), timestamp: Date = Date()) {
        self.id = id
        self.timestamp = timestamp
        self.action = action
        self.target = target
        self.request = request
        self.actor = actor
        self.source = source
    }

    /// The JSON object of this event, with distribution's field names.
    public var jsonObject: [String: Any] {
        var target: [String: Any] = ["repository": self.target.repository]
        if let v = self.target.mediaType, !v.isEmpty { target["mediaType"] = v }
        if let v = self.target.size, v > 0 {
            target["size"] = v
            target["length"] = v
        }
        if let v = self.target.digest { target["digest"] = v }
        if let v = self.target.fromRepository { target["fromRepository"] = v }
        if let v = self.target.url { target["url"] = v }
        if let v = self.target.tag { target["tag"] = v }
        if let refs = self.target.references, !refs.isEmpty {
            target["references"] = refs.map { ["mediaType": $0.mediaType, "size": $0.size, "digest": $0.digest] as [String: Any] }
        }
        var request: [String: Any] = ["id": self.request.id, "method": self.request.method, "useragent": self.request.userAgent]
        if !self.request.addr.isEmpty { request["addr"] = self.request.addr }
        if !self.request.host.isEmpty { request["host"] = self.request.host }
        var actor: [String: Any] = [:]
        if let name = self.actor, !name.isEmpty { actor["name"] = name }
        return [
            "id": id,
            "timestamp": Self.timestampFormat.format(timestamp),
            "action": action.rawValue,
            "target": target,
            "request": request,
            "actor": actor,
            "source": ["addr": source.addr, "instanceID": source.instanceID],
        ]
    }

    /// RFC 3339 with fractional seconds, UTC (Go's `time.Time` JSON form); a value type, safe to share.
    static let timestampFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The envelope distribution posts: `{"events":[...]}`.
    public static func envelope(_ events: [RegistryEvent]) -> Data {
        let body: [String: Any] = ["events": events.map(\.jsonObject)]
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{\"events\":[]}".utf8)
    }

    /// The envelope's media type.
    public static let envelopeMediaType = "application/vnd.docker.distribution.events.v1+json"
}
