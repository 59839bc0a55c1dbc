import Foundation
import WharfConfig
import WharfHTTP
import WharfMetrics
import WharfRegistry

/// The `http.debug.addr` listener, for the cluster's own probes and scrapers:
/// `/debug/health` (every check, JSON) and, with `http.debug.prometheus.enabled`, the
/// metrics at `http.debug.prometheus.path`, without auth. Plain HTTP, like distribution's.
enum DebugServer {
    /// Starts the server for `debug` and logs where it listens; nil when `http.debug.addr` is not set.
    static func start(_ debug: Configuration.Debug?, health: HealthCheck, metrics: RegistryMetrics?, limits: HTTPLimits,
                      logger: Logger) throws -> HTTPServer? {
        guard let debug else { return nil }
        let server = try make(debug, health: health, metrics: metrics, limits: limits, logger: logger)
        try server.start()
        let addr = HTTPServerConfiguration.parseAddress(debug.addr).map { $0.port == 0 ? "\($0.host):\(server.localPort)" : debug.addr } ?? debug.addr
        logger.info("debug server listening on \(addr)", ["metrics": debug.prometheusEnabled ? debug.prometheusPath : "off"])
        return server
    }

    /// The server for `debug`; not started.
    static func make(_ debug: Configuration.Debug, health: HealthCheck, metrics: RegistryMetrics?, limits: HTTPLimits,
                     logger: Logger) throws -> HTTPServer {
        guard let address = HTTPServerConfiguration.parseAddress(debug.addr) else {
            throw ConfigurationError("http.debug.addr: invalid address '\(debug.addr)'")
        }
        var config = HTTPServerConfiguration(host: address.host, port: address.port, limits: limits)
        config.http2.enabled = false
        let endpoint = debug.prometheusEnabled ? metrics.map { MetricsEndpoint(metrics: $0, secret: nil) } : nil
        let metricsPath = debug.prometheusPath
        return HTTPServer(configuration: config, logger: logger) { request in
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "method not allowed\n") }
            if request.path == "/debug/health" { return await health.jsonResponse() }
            if let endpoint, request.path == metricsPath { return endpoint.serve(request) }
            return .text(404, "not found\n")
        }
    }
}
