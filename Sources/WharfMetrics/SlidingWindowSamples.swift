import Foundation

/// The most recent observations of one series on one shard, in a fixed-size ring: memory
/// is bounded by the capacity whatever the request rate. Observations older than the
/// window are ignored when quantiles are computed.
struct SlidingWindowSamples {
    private(set) var values: [Double]
    private(set) var times: [UInt64]
    private var next = 0
    /// Sum of every observation ever made (not windowed), for `_sum`.
    private(set) var sum: Double = 0
    /// Number of observations ever made, for `_count`.
    private(set) var count: UInt64 = 0

    init(capacity: Int) {
        values = []
        times = []
        values.reserveCapacity(capacity)
        times.reserveCapacity(capacity)
        self.capacity = max(1, capacity)
    }

    private let capacity: Int

    /// Records `value` observed at `now` (monotonic nanoseconds).
    mutating func observe(_ value: Double, at now: UInt64) {
        sum += value
        count += 1
        if values.count < capacity {
            values.append(value)
            times.append(now)
        } else {
            values[next] = value
            times[next] = now
            next = (next + 1) % capacity
        }
    }

    /// The observations made at or after `oldest`.
    func recent(since oldest: UInt64) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(values.count)
        for i in values.indices where times[i] >= oldest { out.append(values[i]) }
        return out
    }

    /// The `q`-quantile (0...1) of `sorted` by nearest rank; NaN when empty.
    static func quantile(_ q: Double, ofSorted sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// A summary: quantiles over a sliding time window (bounded per shard) plus all-time
/// `_sum` and `_count`, per label set.
///
/// ```swift
/// let duration = metrics.summary("http_request_duration_seconds", help: "Latency.", labels: ["method"])
/// duration.observe(0.012, "get")
/// // http_request_duration_seconds{method="get",quantile="0.5"} 0.012 ... _sum ... _count
/// ```
public final class Summary: MetricFamily, @unchecked Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// The label names.
    public let labelNames: [String]
    /// The quantiles exposed (the OpenShift registry's 0.5, 0.9, 0.99 by default).
    public let quantiles: [Double]
    /// How far back, in seconds, observations count towards the quantiles.
    public let maxAge: Double
    private let cells: StripedCells<SlidingWindowSamples>
    private let clock: @Sendable () -> UInt64

    /// A summary keeping at most `samplesPerShard` observations per series and shard;
    /// `clock` (monotonic nanoseconds) is injectable for tests.
    public init(name: String, help: String, labels: [String] = [], quantiles: [Double] = [0.5, 0.9, 0.99],
                maxAge: Double = 600, samplesPerShard: Int = 256,
                clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        precondition(PrometheusText.isValidMetricName(name) && labels.allSatisfy(PrometheusText.isValidLabelName))
        precondition(!labels.contains("quantile"))
        self.name = name
        self.help = help
        self.labelNames = labels
        self.quantiles = quantiles
        self.maxAge = maxAge
        self.clock = clock
        cells = StripedCells { SlidingWindowSamples(capacity: samplesPerShard) }
    }

    /// Records one observation for the series with these label values.
    public func observe(_ value: Double, _ labelValues: String...) {
        observe(value, labels: labelValues)
    }

    /// Records one observation for the series with `labels` (as many as ``labelNames``).
    public func observe(_ value: Double, labels: [String]) {
        guard labels.count == labelNames.count, value.isFinite else { return }
        let now = clock()
        cells.update(labels) { $0.observe(value, at: now) }
    }

    /// The current quantile values, `_sum` and `_count` of one series.
    public func values(_ labelValues: String...) -> (quantiles: [Double], sum: Double, count: UInt64) {
        let parts = cells.snapshot()[labelValues] ?? []
        return merge(parts)
    }

    private func merge(_ parts: [SlidingWindowSamples]) -> (quantiles: [Double], sum: Double, count: UInt64) {
        let now = clock()
        let window = UInt64(max(0, maxAge) * 1e9)
        let oldest = now > window ? now - window : 0
        var recent: [Double] = []
        var sum = 0.0
        var count: UInt64 = 0
        for p in parts {
            recent += p.recent(since: oldest)
            sum += p.sum
            count += p.count
        }
        recent.sort()
        return (quantiles.map { SlidingWindowSamples.quantile($0, ofSorted: recent) }, sum, count)
    }

    /// Appends `# HELP`, `# TYPE` and one line per series (summaries: quantiles, `_sum`, `_count`).
    public func render(into out: inout String) {
        PrometheusText.header(name, help: help, type: "summary", into: &out)
        for (labels, parts) in cells.snapshot().sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let pairs = Array(zip(labelNames, labels))
            let merged = merge(parts)
            for (q, v) in zip(quantiles, merged.quantiles) {
                PrometheusText.sample(name, labels: pairs + [("quantile", PrometheusText.formatValue(q))], value: v, into: &out)
            }
            PrometheusText.sample(name + "_sum", labels: pairs, value: merged.sum, into: &out)
            PrometheusText.sample(name + "_count", labels: pairs, value: Double(merged.count), into: &out)
        }
    }
}
