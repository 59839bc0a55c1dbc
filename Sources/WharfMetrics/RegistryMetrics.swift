import Foundation

/// The OpenShift image registry's metrics, with its names, types and labels, so
/// dashboards and alerts written for it work unchanged. The HTTP layer, the registry's
/// handlers, the storage driver's observer and the manifest cache feed them.
///
/// ```swift
/// let metrics = RegistryMetrics(gitVersion: "v0.3.0", gitCommit: "abc123")
/// metrics.storageCall(operation: "StorageDriver.Stat", seconds: 0.001, errorCode: nil)
/// metrics.registry.exposition()
/// ```
public final class RegistryMetrics: @unchecked Sendable {
    /// Every family, rendered by ``exposition()``.
    public let registry = MetricsRegistry()
    /// `imageregistry_http_in_flight_requests`.
    public let httpInFlight: Gauge
    /// `imageregistry_http_requests_total{code,method}` (method lower-case).
    public let httpRequests: Counter
    /// `imageregistry_http_request_duration_seconds{method}`.
    public let httpDuration: Summary
    /// `imageregistry_http_request_size_bytes`.
    public let httpRequestSize: Summary
    /// `imageregistry_http_response_size_bytes`: body bytes actually written.
    public let httpResponseSize: Summary
    /// `imageregistry_http_time_to_write_header_seconds`: from the request to its response head.
    public let httpTimeToWriteHeader: Summary
    /// `imageregistry_request_duration_seconds{operation}`.
    public let requestDuration: Summary
    /// `imageregistry_storage_duration_seconds{operation}`.
    public let storageDuration: Summary
    /// `imageregistry_storage_errors_total{operation,code}`.
    public let storageErrors: Counter
    /// `imageregistry_digest_cache_requests_total{type}` (`Hit` or `Miss`).
    public let digestCache: Counter
    /// `imageregistry_digest_cache_scoped_requests_total{type}`.
    public let digestCacheScoped: Counter
    /// `imageregistry_pruner_runs_total{result}` (`success` or `failure`): scheduled prunes.
    public let prunerRuns: Counter
    /// `imageregistry_pruner_revisions_deleted_total`: manifest revisions scheduled prunes deleted.
    public let prunerRevisionsDeleted: Counter
    /// `imageregistry_gc_runs_total{result}` (`success`, `failure`, `skipped`, `expired`): online GC passes.
    public let gcRuns: Counter
    /// `imageregistry_gc_blobs_deleted_total`: blobs online GC deleted.
    public let gcBlobsDeleted: Counter
    /// `imageregistry_gc_bytes_freed_total`: bytes of the blobs online GC deleted.
    public let gcBytesFreed: Counter
    /// `imageregistry_gc_duration_seconds`: how long online GC passes took (skipped ones not counted).
    public let gcDuration: Summary
    /// `imageregistry_auth_failures_total{reason}`: failed authentications (`unknown_user`,
    /// `wrong_password`, `invalid_token`, `malformed`, `throttled`).
    public let authFailures: Counter
    /// `imageregistry_pullthrough_blobstore_cache_requests_total{type}` (`Hit` or `Miss`).
    public let pullThroughCache: Counter
    /// `imageregistry_pullthrough_repository_duration_seconds{registry,operation}`: upstream calls.
    public let pullThroughDuration: Summary
    /// `imageregistry_pullthrough_repository_errors_total{registry,operation,code}`: failed upstream calls.
    public let pullThroughErrors: Counter
    /// `imageregistry_notifications_events_total{endpoint,result}`: notification events by
    /// outcome (`delivered`, `failed` attempts, `dropped` from a full queue).
    public let notificationEventsTotal: Counter
    /// `imageregistry_notifications_pending{endpoint}`: events queued, not yet delivered.
    public let notificationsPendingGauge: Gauge
    /// `imageregistry_redis_cache_errors_total{operation}`: blob descriptor cache calls that
    /// failed (`lookup`, `store`, `delete`) and fell back to storage.
    public let redisCacheErrors: Counter

    /// Registers the whole set; `gitVersion` like `v1.2.3` gives `major`/`minor`.
    public init(gitVersion: String, gitCommit: String) {
        let version = gitVersion.hasPrefix("v") ? String(gitVersion.dropFirst()) : gitVersion
        let parts = version.split(separator: ".")
        let major = parts.first.map(String.init) ?? ""
        let minor = parts.count > 1 ? String(parts[1]) : ""
        let info: [(String, String)] = [("gitCommit", gitCommit), ("gitVersion", gitVersion), ("major", major), ("minor", minor)]
        registry.register(GaugeFunction(name: "imageregistry_build_info",
                                        help: "A metric with a constant '1' value labeled by major, minor, git commit & git version from which the image registry was built.") { [(info, 1)] })
        httpInFlight = registry.gauge("imageregistry_http_in_flight_requests", help: "A gauge of requests currently being served by the registry.")
        httpRequests = registry.counter("imageregistry_http_requests_total", help: "A counter for requests to the registry.", labels: ["code", "method"])
        httpDuration = registry.summary("imageregistry_http_request_duration_seconds", help: "A histogram of latencies for requests to the registry.", labels: ["method"])
        httpRequestSize = registry.summary("imageregistry_http_request_size_bytes", help: "A histogram of sizes of requests to the registry.")
        httpResponseSize = registry.summary("imageregistry_http_response_size_bytes", help: "A histogram of response sizes for requests to the registry.")
        httpTimeToWriteHeader = registry.summary("imageregistry_http_time_to_write_header_seconds", help: "A histogram of request durations until the response headers are written.")
        requestDuration = registry.summary("imageregistry_request_duration_seconds", help: "Request latency in seconds for each operation.", labels: ["operation"])
        storageDuration = registry.summary("imageregistry_storage_duration_seconds", help: "Storage driver request latency in seconds for each operation.", labels: ["operation"])
        storageErrors = registry.counter("imageregistry_storage_errors_total", help: "Storage driver errors for each operation and error code.", labels: ["operation", "code"])
        digestCache = registry.counter("imageregistry_digest_cache_requests_total", help: "Total number of requests without scope to the digest cache.", labels: ["type"])
        digestCacheScoped = registry.counter("imageregistry_digest_cache_scoped_requests_total", help: "Total number of scoped requests to the digest cache.", labels: ["type"])
        prunerRuns = registry.counter("imageregistry_pruner_runs_total", help: "Scheduled image prune runs by result.", labels: ["result"])
        prunerRevisionsDeleted = registry.counter("imageregistry_pruner_revisions_deleted_total", help: "Manifest revisions deleted by scheduled image prunes.")
        gcRuns = registry.counter("imageregistry_gc_runs_total", help: "Online garbage collection passes by result.", labels: ["result"])
        gcBlobsDeleted = registry.counter("imageregistry_gc_blobs_deleted_total", help: "Blobs deleted by online garbage collection.")
        gcBytesFreed = registry.counter("imageregistry_gc_bytes_freed_total", help: "Bytes freed by online garbage collection.")
        gcDuration = registry.summary("imageregistry_gc_duration_seconds", help: "Duration of online garbage collection passes.")
        authFailures = registry.counter("imageregistry_auth_failures_total", help: "Failed authentications by reason.", labels: ["reason"])
        pullThroughCache = registry.counter("imageregistry_pullthrough_blobstore_cache_requests_total", help: "Total number of requests to the BlobStore cache.", labels: ["type"])
        pullThroughDuration = registry.summary("imageregistry_pullthrough_repository_duration_seconds", help: "Latency of operations with remote registries in seconds.", labels: ["registry", "operation"])
        pullThroughErrors = registry.counter("imageregistry_pullthrough_repository_errors_total", help: "Cumulative number of failed operations with remote registries.", labels: ["registry", "operation", "code"])
        notificationEventsTotal = registry.counter("imageregistry_notifications_events_total", help: "Notification events by endpoint and result (delivered, failed attempts, dropped).", labels: ["endpoint", "result"])
        notificationsPendingGauge = registry.gauge("imageregistry_notifications_pending", help: "Notification events queued for an endpoint and not yet delivered.", labels: ["endpoint"])
        redisCacheErrors = registry.counter("imageregistry_redis_cache_errors_total", help: "Blob descriptor cache calls to Redis that failed, by operation; requests were served from storage.", labels: ["operation"])
        ProcessMetrics.register(in: registry)
    }

    /// Records one finished HTTP request: `seconds` until its response finished or failed,
    /// `headerSeconds` until its head was written (nil: never), the body bytes read and written.
    public func httpRequest(method: String, code: Int, seconds: Double, headerSeconds: Double?, requestBytes: Int64,
                            responseBytes: Int64) {
        let m = method.lowercased()
        httpRequests.inc(String(code), m)
        httpDuration.observe(seconds, m)
        if let headerSeconds { httpTimeToWriteHeader.observe(headerSeconds) }
        httpRequestSize.observe(Double(requestBytes))
        httpResponseSize.observe(Double(responseBytes))
    }

    /// Records one registry operation (`BlobStore.ServeBlob`, `ManifestService.Get`, ...).
    public func operation(_ name: String, seconds: Double) {
        requestDuration.observe(seconds, name)
    }

    /// Records one storage driver call; `errorCode` is the driver error's code
    /// (`PATH_NOT_FOUND`, ...), nil on success.
    public func storageCall(operation: String, seconds: Double, errorCode: String?) {
        storageDuration.observe(seconds, operation)
        if let errorCode { storageErrors.inc(operation, errorCode) }
    }

    /// Records one digest cache lookup.
    public func digestCacheLookup(hit: Bool, scoped: Bool) {
        (scoped ? digestCacheScoped : digestCache).inc(hit ? "Hit" : "Miss")
    }

    /// Records one scheduled prune: its result and, when it deleted, how many revisions.
    public func prunerRun(succeeded: Bool, revisionsDeleted: Int) {
        prunerRuns.inc(succeeded ? "success" : "failure")
        if revisionsDeleted > 0 { prunerRevisionsDeleted.inc(by: Double(revisionsDeleted)) }
    }

    /// Records one blob request to a pull-through repository: served from storage (hit) or filled upstream.
    public func pullThroughCacheRequest(hit: Bool) {
        pullThroughCache.inc(hit ? "Hit" : "Miss")
    }

    /// Records one call to upstream `registry` (`Manifest.Get`, `BlobStore.Get`, ...); `errorCode`
    /// is the upstream's status or `UNAVAILABLE`, nil on success.
    public func pullThroughCall(registry name: String, operation: String, seconds: Double, errorCode: String?) {
        pullThroughDuration.observe(seconds, name, operation)
        if let errorCode { pullThroughErrors.inc(name, operation, errorCode) }
    }

    /// Records `count` notification events with `result` for `endpoint`.
    public func notificationEvents(endpoint: String, result: String, count: Int) {
        notificationEventsTotal.inc(endpoint, result, by: Double(count))
    }

    /// Moves the pending-events gauge of `endpoint` by `delta`.
    public func notificationsPending(endpoint: String, delta: Int) {
        if delta != 0 { notificationsPendingGauge.add([endpoint], Double(delta)) }
    }

    /// Records one failed Redis cache call.
    public func redisCacheError(operation: String) { redisCacheErrors.inc(operation) }

    /// Records one online GC pass.
    public func gcRun(result: String, blobsDeleted: Int, bytesFreed: Int64, seconds: Double) {
        gcRuns.inc(result)
        if blobsDeleted > 0 { gcBlobsDeleted.inc(by: Double(blobsDeleted)) }
        if bytesFreed > 0 { gcBytesFreed.inc(by: Double(bytesFreed)) }
        if result != "skipped" { gcDuration.observe(seconds) }
    }

    /// The exposition text.
    public func exposition() -> String { registry.exposition() }
}
