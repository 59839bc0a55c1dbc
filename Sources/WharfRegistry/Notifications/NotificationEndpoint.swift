import Foundation
import WharfHTTP
import WharfHTTPClient
import WharfMetrics

/// One `notifications.endpoints[]` entry as the registry uses it.
public struct NotificationEndpointSettings: Sendable {
    /// `name`: labels the endpoint's metrics and log lines.
    public var name: String
    /// `url`: where envelopes are POSTed.
    public var url: String
    /// `headers`: added to every POST.
    public var headers: [(String, [String])] = []
    /// `timeout`: seconds one POST may take (connect and answer).
    public var timeout: Double = 1
    /// `threshold`: failed attempts in a row before the endpoint backs off.
    public var threshold: Int = 10
    /// `backoff`: seconds to wait between attempts once past `threshold`.
    public var backoff: Double = 1
    /// `ignoredmediatypes` and `ignore.mediatypes`: events whose target has one are not sent.
    public var ignoredMediaTypes: Set<String> = []
    /// `ignore.actions`: events with one of these actions are not sent.
    public var ignoredActions: Set<String> = []
    /// `queuesize` (Wharf's own): events held while the endpoint is slow or down; past it
    /// the oldest are dropped (and counted).
    public var queueSize: Int = 1024

    /// An endpoint with distribution's defaults.
    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// False when the endpoint's filters leave `event` out.
    func wants(_ event: RegistryEvent) -> Bool {
        if ignoredActions.contains(event.action.rawValue) { return false }
        if let mt = event.target.mediaType, ignoredMediaTypes.contains(mt) { return false }
        return true
    }
}

/// Delivers events to one endpoint, in order, from a bounded queue that requests only
/// append to (never waiting on the network). One task sends the oldest events (up to
/// ``batchSize`` in one envelope) until the endpoint answers 2xx/3xx; after `threshold`
/// failures in a row it waits `backoff` between attempts. A full queue drops its oldest event.
final class NotificationEndpoint: @unchecked Sendable {
    let settings: NotificationEndpointSettings
    private let client: HTTPClient
    private let logger: Logger
    private let metrics: RegistryMetrics?
    private let lock = NSLock()
    private var queue: [RegistryEvent] = []
    private var head = 0
    private var stopped = false
    private let signal: AsyncStream<Void>.Continuation
    private let signals: AsyncStream<Void>
    private var task: Task<Void, Never>?
    private var droppedSinceReport = 0
    private var lastDropReport = Date.distantPast
    /// Events sent in one envelope at most: a busy registry posts its backlog in a few
    /// requests, in order, instead of one request per event.
    static let batchSize = 32

    init(_ settings: NotificationEndpointSettings, logger: Logger, metrics: RegistryMetrics?) throws {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        var config = HTTPClientConfiguration()
        config.connectTimeout = settings.timeout
        config.readTimeout = settings.timeout
        config.retry = .never
        config.maxIdlePerHost = 2
        client = try HTTPClient(configuration: config)
        (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Events waiting to be delivered.
    var pending: Int { lock.withLock { queue.count - head } }

    /// Queues `event` unless the filters leave it out; never blocks.
    func enqueue(_ event: RegistryEvent) {
        guard settings.wants(event) else { return }
        var dropped = 0
        lock.withLock {
            queue.append(event)
            while queue.count - head > settings.queueSize {
                head += 1
                dropped += 1
            }
            compact()
        }
        if dropped > 0 {
            metrics?.notificationEvents(endpoint: settings.name, result: "dropped", count: dropped)
            // One line per 10 s at most, with the count since the last one.
            let report: Int? = lock.withLock {
                droppedSinceReport += dropped
                guard Date().timeIntervalSince(lastDropReport) >= 10 else { return nil }
                lastDropReport = Date()
                defer { droppedSinceReport = 0 }
                return droppedSinceReport
            }
            if let report {
                logger.warn("notification queue full: dropped the oldest events", ["endpoint": settings.name, "dropped": String(report)])
            }
        }
        metrics?.notificationsPending(endpoint: settings.name, delta: 1 - dropped)
        signal.yield()
    }

    /// Starts the delivery task.
    func start() {
        task = Task { [weak self] in
            guard let signals = self?.signals else { return }
            for await _ in signals {
                guard let self else { return }
                await self.drain()
                if self.isStopped { return }
            }
        }
    }

    /// Stops delivery; events still queued are lost (they are counted as pending until then).
    func stop() {
        lock.withLock { stopped = true }
        signal.finish()
        task?.cancel()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func compact() {
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }

    /// Up to ``batchSize`` of the oldest events.
    private func oldest() -> [RegistryEvent] {
        lock.withLock { stopped ? [] : Array(queue[head..<min(queue.count, head + Self.batchSize)]) }
    }

    /// Removes the delivered `events` that are still at the head of the queue (a full queue
    /// may have dropped some of them meanwhile).
    private func remove(_ events: [RegistryEvent]) {
        let ids = Set(events.map(\.id))
        let removed: Int = lock.withLock {
            var n = 0
            while head < queue.count, ids.contains(queue[head].id) {
                head += 1
                n += 1
            }
            compact()
            return n
        }
        if removed > 0 { metrics?.notificationsPending(endpoint: settings.name, delta: -removed) }
    }

    private func drain() async {
        var failures = 0
        while case let batch = oldest(), !batch.isEmpty {
            if await send(batch) {
                failures = 0
                remove(batch)
                metrics?.notificationEvents(endpoint: settings.name, result: "delivered", count: batch.count)
                continue
            }
            failures += 1
            metrics?.notificationEvents(endpoint: settings.name, result: "failed", count: batch.count)
            if failures >= settings.threshold {
                if failures == settings.threshold {
                    logger.warn("notification endpoint failing: backing off", ["endpoint": settings.name,
                                "failures": String(failures), "backoff": String(settings.backoff)])
                }
                try? await Task.sleep(nanoseconds: UInt64(max(settings.backoff, 0.001) * 1e9))
                if Task.isCancelled { return }
            }
        }
    }

    /// POSTs one envelope; true when the endpoint answered 2xx or 3xx.
    private func send(_ events: [RegistryEvent]) async -> Bool {
        do {
            var request = try HTTPClientRequest(method: "POST", url: settings.url, body: .bytes(RegistryEvent.envelope(events)))
            for (name, values) in settings.headers { for v in values { request.headers.add(name, v) } }
            request.headers.set("Content-Type", RegistryEvent.envelopeMediaType)
            let response = try await client.execute(request)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if (200..<400).contains(response.status) { return true }
            logger.debug("notification refused", ["endpoint": settings.name, "status": String(response.status)])
            return false
        } catch {
            logger.debug("notification failed", ["endpoint": settings.name, "error": "\(error)"])
            return false
        }
    }
}
