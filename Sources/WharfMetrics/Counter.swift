import Foundation

/// A monotonically increasing counter with a fixed set of label names. Increments go to
/// the calling thread's shard (see ``StripedCells``), so recording never waits on a
/// lock shared by every request.
///
/// ```swift
/// let requests = metrics.counter("http_requests_total", help: "Requests.", labels: ["code", "method"])
/// requests.inc("200", "get")
/// ```
public final class Counter: MetricFamily, @unchecked Sendable {
    /// The metric name (ends in `_total` by convention).
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// The label names, in the order values are given.
    public let labelNames: [String]
    private let cells = StripedCells<Double> { 0 }

    /// A counter; prefer ``MetricsRegistry/counter(_:help:labels:)``, which also registers it.
    public init(name: String, help: String, labels: [String] = []) {
        precondition(PrometheusText.isValidMetricName(name) && labels.allSatisfy(PrometheusText.isValidLabelName))
        self.name = name
        self.help = help
        self.labelNames = labels
    }

    /// Adds `amount` (negative amounts are ignored) to the series with these label values.
    public func inc(_ labelValues: String..., by amount: Double = 1) {
        add(labelValues, amount)
    }

    /// Adds `amount` to the series with `labelValues` (as many as ``labelNames``).
    public func add(_ labelValues: [String], _ amount: Double) {
        guard amount >= 0, labelValues.count == labelNames.count else { return }
        cells.update(labelValues) { $0 += amount }
    }

    /// The current value of one series (0 when never incremented).
    public func value(_ labelValues: String...) -> Double {
        cells.snapshot()[labelValues]?.reduce(0, +) ?? 0
    }

    /// Appends `# HELP`, `# TYPE` and one line per series (summaries: quantiles, `_sum`, `_count`).
    public func render(into out: inout String) {
        PrometheusText.header(name, help: help, type: "counter", into: &out)
        for (labels, parts) in cells.snapshot().sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            PrometheusText.sample(name, labels: Array(zip(labelNames, labels)), value: parts.reduce(0, +), into: &out)
        }
    }
}

/// A value that goes up and down. `inc`/`dec` are striped like ``Counter``; a gauge whose
/// value is read from elsewhere at scrape time is a ``GaugeFunction``.
public final class Gauge: MetricFamily, @unchecked Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// The label names.
    public let labelNames: [String]
    private let cells = StripedCells<Double> { 0 }

    /// A gauge; prefer ``MetricsRegistry/gauge(_:help:labels:)``.
    public init(name: String, help: String, labels: [String] = []) {
        precondition(PrometheusText.isValidMetricName(name) && labels.allSatisfy(PrometheusText.isValidLabelName))
        self.name = name
        self.help = help
        self.labelNames = labels
    }

    /// Adds `amount` (may be negative).
    public func add(_ labelValues: [String], _ amount: Double) {
        guard labelValues.count == labelNames.count else { return }
        cells.update(labelValues) { $0 += amount }
    }

    /// Adds one.
    public func inc(_ labelValues: String...) { add(labelValues, 1) }
    /// Subtracts one.
    public func dec(_ labelValues: String...) { add(labelValues, -1) }

    /// The current value of one series.
    public func value(_ labelValues: String...) -> Double {
        cells.snapshot()[labelValues]?.reduce(0, +) ?? 0
    }

    /// Appends `# HELP`, `# TYPE` and one line per series (summaries: quantiles, `_sum`, `_count`).
    public func render(into out: inout String) {
        PrometheusText.header(name, help: help, type: "gauge", into: &out)
        let snapshot = cells.snapshot()
        if snapshot.isEmpty && labelNames.isEmpty {
            PrometheusText.sample(name, labels: [], value: 0, into: &out)
        }
        for (labels, parts) in snapshot.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            PrometheusText.sample(name, labels: Array(zip(labelNames, labels)), value: parts.reduce(0, +), into: &out)
        }
    }
}

/// A gauge or counter whose series are computed when scraped (process memory, build info).
public final class GaugeFunction: MetricFamily, @unchecked Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// `gauge` or `counter`.
    public let type: String
    private let read: @Sendable () -> [([(String, String)], Double)]

    /// `read` returns each series' labels and value; it runs on the scraping thread.
    public init(name: String, help: String, type: String = "gauge", read: @escaping @Sendable () -> [([(String, String)], Double)]) {
        precondition(PrometheusText.isValidMetricName(name))
        self.name = name
        self.help = help
        self.type = type
        self.read = read
    }

    /// Appends `# HELP`, `# TYPE` and one line per series (summaries: quantiles, `_sum`, `_count`).
    public func render(into out: inout String) {
        let series = read()
        guard !series.isEmpty else { return }
        PrometheusText.header(name, help: help, type: type, into: &out)
        for (labels, value) in series { PrometheusText.sample(name, labels: labels, value: value, into: &out) }
    }
}
