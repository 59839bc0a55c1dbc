import Foundation
import WharfConfig
import WharfHTTP
import WharfHTTPClient
import WharfRegistry
import WharfStorage

/// Builds the ``HealthMonitor`` for `health.*`: the storage driver's periodic check, and
/// the file, http and tcp checks, with distribution's semantics (a file check fails while
/// the file exists; an http check sends HEAD and expects `statuscode`; a tcp check must
/// connect within `timeout`). Nil when no check is configured.
enum HealthWiring {
    static func monitor(_ health: Configuration.Health, driver: StorageDriver) throws -> HealthMonitor? {
        var checks: [HealthMonitor.Check] = []
        if let s = health.storageDriver {
            checks.append(HealthCheck.storageCheck(driver, interval: s.interval, threshold: s.threshold))
        }
        for f in health.files {
            checks.append(HealthMonitor.Check(name: f.file, interval: f.periodic.interval, threshold: f.periodic.threshold,
                                              probe: HealthMonitor.fileProbe(f.file)))
        }
        for h in health.http {
            var config = HTTPClientConfiguration()
            config.connectTimeout = h.periodic.timeout
            config.readTimeout = h.periodic.timeout
            let client = try HTTPClient(configuration: config)
            var headers = HTTPHeaders()
            for (name, values) in h.headers { for v in values { headers.add(name, v) } }
            let request = try HTTPClientRequest(method: "HEAD", url: h.uri, headers: headers)
            let expected = h.statusCode
            checks.append(HealthMonitor.Check(name: h.uri, interval: h.periodic.interval, threshold: h.periodic.threshold) {
                do {
                    let response = try await client.execute(request)
                    response.body.close()
                    return response.status == expected ? nil : "downstream service returned unexpected status: \(response.status)"
                } catch {
                    return "error while checking: \(error)"
                }
            })
        }
        for t in health.tcp {
            guard let address = ConfigValueParser.listenAddress(t.addr) else { continue }
            let client = try HTTPClient()
            let timeout = t.periodic.timeout
            checks.append(HealthMonitor.Check(name: t.addr, interval: t.periodic.interval, threshold: t.periodic.threshold) {
                do {
                    try await client.probeConnection(host: address.host, port: address.port, timeout: timeout)
                    return nil
                } catch {
                    return "connection to \(t.addr) failed: \(error)"
                }
            })
        }
        return checks.isEmpty ? nil : HealthMonitor(checks: checks)
    }
}
