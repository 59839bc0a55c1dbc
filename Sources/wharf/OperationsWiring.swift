import Foundation
import WharfAPI
import WharfConfig
import WharfHTTP
import WharfMetrics
import WharfRegistry

/// The operator's pieces `serve` adds around the registry: metrics (recording middleware
/// and the `/extensions/v2/metrics` route) and the `openshift.requests.*` limiter. Kept
/// out of ``ServeCommand`` so each new concern there is a line or two.
struct OperationsWiring {
    /// The metrics, when `openshift.metrics.enabled` or `http.debug.prometheus.enabled`.
    let metrics: RegistryMetrics?
    /// The middleware to put in front of the registry, outermost first (after the access log).
    let middleware: [HTTPMiddleware]

    /// Builds what `config` enables; `debugMetrics`: the debug listener serves metrics.
    init(_ config: OperationsConfiguration, debugMetrics: Bool = false) {
        metrics = config.metricsEnabled || debugMetrics
            ? RegistryMetrics(gitVersion: "v" + BuildInfo.version, gitCommit: BuildInfo.gitCommit ?? "unknown")
            : nil
        var middleware: [HTTPMiddleware] = []
        if let metrics { middleware.append(HTTPMetricsMiddleware(metrics: metrics)) }
        let read = Self.limiter(config.readLimits)
        let write = Self.limiter(config.writeLimits)
        if read != nil || write != nil {
            // Probes and scrapes must not be refused under load: the route table says which.
            middleware.append(RequestLimiterMiddleware(read: read, write: write, exempt: { request in
                request.routeMatch.route?.access.bypassesRequestLimits == true
            }))
        }
        self.middleware = middleware
    }

    /// Adds the metrics route to `registry` (behind the secret check of ``MetricsEndpoint``).
    func addRoutes(to registry: Registry, config: OperationsConfiguration) throws {
        guard config.metricsEnabled, let metrics else { return }
        try registry.addRoute(.metrics, MetricsEndpoint(metrics: metrics, secret: config.metricsSecret).handler)
    }

    /// Feeds one storage call into the metrics.
    func storageCall(_ operation: String, _ seconds: Double, _ errorCode: String?) {
        metrics?.storageCall(operation: operation, seconds: seconds, errorCode: errorCode)
    }

    private static func limiter(_ limits: OperationsConfiguration.RequestLimits) -> RequestLimiter? {
        guard limits.maxRunning > 0 else { return nil }
        return RequestLimiter(maxRunning: limits.maxRunning, maxInQueue: limits.maxInQueue, maxWaitInQueue: limits.maxWaitInQueue)
    }
}
