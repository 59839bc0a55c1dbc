import Foundation
import WharfHTTP
import WharfMetrics

/// Sends registry events to the configured notification endpoints, as distribution's
/// `notifications` section does. ``write(_:)`` only appends to each endpoint's bounded
/// queue, so a slow or unreachable endpoint never delays a request.
public final class EventNotifier: @unchecked Sendable {
    private let endpoints: [NotificationEndpoint]
    /// `notifications.events.includereferences`: manifest events list what the manifest references.
    public let includeReferences: Bool
    /// The replica named in every event's `source`.
    public let source: RegistryEvent.Source

    /// One delivery queue per endpoint; throws when an endpoint's URL or client cannot be set up.
    public init(endpoints: [NotificationEndpointSettings], includeReferences: Bool, source: RegistryEvent.Source,
                logger: Logger, metrics: RegistryMetrics?) throws {
        self.endpoints = try endpoints.map { try NotificationEndpoint($0, logger: logger, metrics: metrics) }
        self.includeReferences = includeReferences
        self.source = source
    }

    /// Starts delivery.
    public func start() { endpoints.forEach { $0.start() } }

    /// Stops delivery (at shutdown).
    public func stop() { endpoints.forEach { $0.stop() } }

    /// Waits until every queue is empty or `seconds` passed (at shutdown, after the last
    /// request, so a rolling restart loses no event an endpoint can take).
    public func drain(within seconds: Double) async {
        let deadline = Date().addingTimeInterval(seconds)
        while pending.values.contains(where: { $0 > 0 }), Date() < deadline {
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Queues `event` for every endpoint whose filters let it through.
    public func write(_ event: RegistryEvent) {
        for endpoint in endpoints { endpoint.enqueue(event) }
    }

    /// Events not yet delivered, by endpoint name.
    public var pending: [String: Int] {
        Dictionary(endpoints.map { ($0.settings.name, $0.pending) }, uniquingKeysWith: +)
    }
}
