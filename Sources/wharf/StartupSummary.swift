import Foundation
import WharfConfig

/// The one info line `serve` logs when it is ready: what is running and how, so an
/// operator reads the effective setup from the log instead of guessing it from files.
enum StartupSummary {
    /// The fields of the "listening" line: version and commit, address, TLS (with its
    /// minimum version and ALPN protocols), storage driver and where it keeps data,
    /// read-only, auth mode, metrics, and the maintenance jobs.
    static func fields(_ config: Configuration, addr: String) -> [(String, String)] {
        let storage = config.storage
        let http = config.http
        let tls = http.tls.map {
            "on (min \($0.minimumTLS.rawValue), alpn " + (http.http2Disabled ? "http/1.1" : "h2,http/1.1")
                + ($0.clientCAs.isEmpty ? "" : ", client certificates required") + ")"
        } ?? "off"
        let location = storage.driverParameters["rootdirectory"] ?? storage.driverParameters["bucket"] ?? ""
        let auth = config.auth.openshift != nil ? "openshift" : config.auth.htpasswd != nil ? "htpasswd" : "none"
        return [
            ("version", BuildInfo.version), ("commit", BuildInfo.gitCommit ?? "unknown"),
            ("addr", addr), ("tls", tls),
            ("storage", storage.driverName), ("storage.location", location),
            ("readonly", "\(storage.readOnly)"), ("auth", auth),
            ("metrics", config.operations.metricsEnabled ? "on" : "off"),
            ("maintenance", maintenance(storage)),
            ("health", health(config.health)),
        ]
    }

    /// The periodic checks of `health.*`: "storagedriver, 1 file, 2 http, 1 tcp", or "on probe".
    private static func health(_ h: Configuration.Health) -> String {
        var parts: [String] = h.storageDriver == nil ? [] : ["storagedriver every \(ConfigValueParser.formatDuration(h.storageDriver!.interval))"]
        if !h.files.isEmpty { parts.append("\(h.files.count) file") }
        if !h.http.isEmpty { parts.append("\(h.http.count) http") }
        if !h.tcp.isEmpty { parts.append("\(h.tcp.count) tcp") }
        return parts.isEmpty ? "storage driver on probe" : parts.joined(separator: ", ")
    }

    /// The jobs that run on a timer: upload purging and pruning, or "none".
    private static func maintenance(_ storage: Configuration.Storage) -> String {
        guard !storage.readOnly else { return "none (read-only)" }
        var jobs: [String] = []
        let purging = storage.uploadPurging
        if purging.enabled {
            jobs.append("uploadpurging every \(ConfigValueParser.formatDuration(purging.interval)), age \(ConfigValueParser.formatDuration(purging.age))"
                        + (purging.dryRun ? ", dry run" : ""))
        }
        let pruning = storage.pruning
        if pruning.enabled {
            jobs.append("pruning at '\(pruning.schedule.description)'" + (pruning.suspend ? ", suspended" : "") + (pruning.dryRun ? ", dry run" : ""))
        }
        return jobs.isEmpty ? "none" : jobs.joined(separator: "; ")
    }
}
