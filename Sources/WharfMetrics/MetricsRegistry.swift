import Foundation

/// The set of metrics a process exposes, in registration order, rendered as one
/// Prometheus text exposition.
///
/// ```swift
/// let metrics = MetricsRegistry()
/// let hits = metrics.counter("cache_hits_total", help: "Cache hits.")
/// hits.inc()
/// metrics.exposition()   // "# HELP cache_hits_total Cache hits.\n# TYPE ... counter\ncache_hits_total 1\n"
/// ```
public final class MetricsRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var families: [MetricFamily] = []

    /// An empty registry.
    public init() {}

    /// Adds `family` (registration happens at startup, never on the request path).
    public func register(_ family: MetricFamily) {
        lock.lock()
        defer { lock.unlock() }
        precondition(!families.contains { $0.name == family.name }, "metric \(family.name) registered twice")
        families.append(family)
    }

    /// Creates and registers a counter.
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        let c = Counter(name: name, help: help, labels: labels)
        register(c)
        return c
    }

    /// Creates and registers a gauge.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        let g = Gauge(name: name, help: help, labels: labels)
        register(g)
        return g
    }

    /// Creates and registers a summary with the given quantiles.
    public func summary(_ name: String, help: String, labels: [String] = [],
                        quantiles: [Double] = [0.5, 0.9, 0.99]) -> Summary {
        let s = Summary(name: name, help: help, labels: labels, quantiles: quantiles)
        register(s)
        return s
    }

    /// The whole exposition in text format 0.0.4.
    public func exposition() -> String {
        lock.lock()
        let current = families
        lock.unlock()
        var out = ""
        for family in current { family.render(into: &out) }
        return out
    }
}
