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
        /// The referenced content's media type.
        public var mediaType: String
        /// Its size in bytes.
        public var size: Int64
        /// Its digest (`sha256:...`).
        public var digest: String
        /// A reference as the manifest lists it.
        public init(mediaType: String, size: Int64, digest: String) {
            self.mediaType = mediaType
            self.size = size
            self.digest = digest
        }
    }

    /// The manifest, blob or tag the event is about.
    public struct Target: Sendable, Equatable {
        /// The manifest's media type, `application/octet-stream` for blobs; nil for deletes.
        public var mediaType: String?
        /// Size in bytes (written as `size` and `length`); nil for deletes.
        public var size: Int64?
        /// The content's digest; nil for a tag delete.
        public var digest: String?
        /// The repository the request named.
        public var repository: String
        /// For mounts: the repository the blob came from.
        public var fromRepository: String?
        /// The content's URL by digest.
        public var url: String?
        /// The tag pushed, pulled or deleted.
        public var tag: String?
        /// With `includereferences`: what a manifest references.
        public var references: [Reference]?
        /// A target with only its repository set.
        public init(repository: String) { self.repository = repository }
    }

    /// The request that caused the event.
    public struct RequestRecord: Sendable, Equatable {
        /// The request id (as in the access log).
        public var id: String
        /// The client: first `X-Forwarded-For`, else `X-Real-Ip`, else the peer address.
        public var addr: String
        /// The `Host` the client asked for.
        public var host: String
        /// The request method.
        public var method: String
        /// The `User-Agent` header.
        public var userAgent: String
        /// A record of one request.
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
        /// Host name and port of this replica.
        public var addr: String
        /// This process's instance id (the `instance.id` of its log lines).
        public var instanceID: String
        /// A source record.
        public init(addr: String, instanceID: String) {
            self.addr = addr
            self.instanceID = instanceID
        }
    }

    /// Unique event id (UUID form).
    public var id: String
    /// When it happened.
    public var timestamp: Date
    /// What happened.
    public var action: Action
    /// To what.
    public var target: Target
    /// Because of which request.
    public var request: RequestRecord
    /// The authenticated user, nil for anonymous requests.
    public var actor: String?
    /// Which replica generated it.
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
