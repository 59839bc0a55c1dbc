import Foundation
import WharfConfig
import WharfHTTP
import WharfMetrics
import WharfRegistry

/// Builds the registry's ``EventNotifier`` from `notifications.*`: one delivery queue per
/// endpoint that is not `disabled`. nil when no endpoint is left.
enum NotificationsWiring {
    static func notifier(_ config: Configuration, instanceID: String, logger: Logger,
                         metrics: RegistryMetrics?) throws -> EventNotifier? {
        var endpoints: [NotificationEndpointSettings] = []
        for e in config.notifications.endpoints {
            if e.disabled {
                logger.info("notification endpoint disabled, skipping", ["endpoint": e.name])
                continue
            }
            var s = NotificationEndpointSettings(name: e.name, url: e.url)
            s.headers = e.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            s.timeout = e.timeout
            s.threshold = e.threshold
            s.backoff = e.backoff
            s.ignoredMediaTypes = Set(e.ignoredMediaTypes)
            s.ignoredActions = Set(e.ignoredActions)
            s.queueSize = e.queueSize
            endpoints.append(s)
            logger.info("notification endpoint configured", ["endpoint": e.name, "url": e.url,
                        "timeout": ConfigValueParser.formatDuration(e.timeout), "threshold": String(e.threshold),
                        "backoff": ConfigValueParser.formatDuration(e.backoff)])
        }
        guard !endpoints.isEmpty else { return nil }
        return try EventNotifier(endpoints: endpoints, includeReferences: config.notifications.includeReferences,
                                 source: RegistryEvent.Source(addr: sourceAddress(config.http.addr), instanceID: instanceID),
                                 logger: logger, metrics: metrics)
    }

    /// This replica as distribution names it: the host name with the port of `http.addr`.
    static func sourceAddress(_ addr: String) -> String {
        let host = ProcessInfo.processInfo.hostName
        guard let colon = addr.lastIndex(of: ":") else { return host.isEmpty ? addr : host }
        return host.isEmpty ? addr : host + addr[colon...]
    }
}
