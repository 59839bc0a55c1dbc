import Foundation
import WharfAPI
import WharfAuth
import WharfConfig
import WharfHTTP
import WharfRegistry
import WharfStorage

/// `wharf serve [CONFIG]`: runs the registry until SIGTERM or SIGINT, then drains
/// in-flight requests for `http.draintimeout` and exits 0.
enum ServeCommand: WharfCommand {
    static let name = "serve"
    static let summary = "Run the registry"
    static let usage = """
    Usage: wharf serve [CONFIG]

    Runs the registry with CONFIG (distribution's config.yml format); without it, the
    defaults: listen on :5000, filesystem storage in ./data. REGISTRY_* environment
    variables override the file (e.g. REGISTRY_HTTP_ADDR=:8080, REGISTRY_STORAGE=inmemory).
    SIGTERM or SIGINT stops accepting and lets in-flight requests finish for
    http.draintimeout (default 30s). Configuration errors exit 2.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, positionals: 0...1) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        let loaded: LoadedConfiguration
        let settings: RuntimeSettings
        let instanceID = UUID().uuidString.lowercased()
        do {
            loaded = try Configuration.load(file: parsed.positionals.first, environment: ProcessInfo.processInfo.environment)
            settings = try RuntimeSettings(loaded.configuration, instanceID: instanceID)
        } catch {
            Console.err("\(error)")
            return ExitCode.usage
        }
        let config = loaded.configuration
        let logger = Logger(level: settings.logLevel, format: settings.logFormat, fields: settings.logFields)
        for warning in loaded.warnings { logger.warn(warning) }
        if settings.generatedSecret {
            logger.warn("no http.secret configured: generated a random one; replicas behind a load balancer will not share uploads (set http.secret or REGISTRY_HTTP_SECRET)")
        }

        if let problem = StorageRootCheck.problem(config.storage) {
            logger.error("cannot use storage", ["error": problem])
            return ExitCode.failure
        }
        let operations = OperationsWiring(config.operations, debugMetrics: config.http.debug?.prometheusEnabled == true)
        let driver: StorageDriver
        do {
            // The registry builds it from every parameter the section gave (maxthreads, directwrites, ...).
            let backend = try StorageDriverFactory.make(name: config.storage.driverName, parameters: config.storage.driverParameters)
            // Every driver sits behind the instrumented base: paths validated, calls timed.
            driver = InstrumentedDriver(backend) { [logger] operation, path, seconds, error in
                operations.storageCall(operation, seconds, error?.code)
                guard logger.enabled(.traceAll) else { return }
                logger.log(.traceAll, "storage call", fields: [("operation", operation), ("path", path),
                                                               ("duration", String(format: "%.6fs", seconds)),
                                                               ("error", error.map { "\($0)" } ?? ""),
                                                               ("http.request.id", RequestID.current ?? "")])
            }
        } catch {
            logger.error("cannot open storage", ["driver": config.storage.driverName, "error": "\(error)"])
            return ExitCode.failure
        }

        let auth: AuthMiddleware?
        do {
            auth = try AuthSetup.middleware(config, httpSecret: settings.registry.httpSecret, logger: logger)
            if let failures = operations.metrics?.authFailures { auth?.authenticator.onFailure = { failures.inc($0) } }
        } catch {
            logger.error("cannot set up auth", ["error": "\(error)"])
            return ExitCode.usage
        }
        var options = settings.registry
        do {
            options.healthMonitor = try HealthWiring.monitor(config.health, driver: driver)
        } catch {
            logger.error("cannot set up health checks", ["error": "\(error)"])
            return ExitCode.failure
        }
        let notifier: EventNotifier?
        do {
            notifier = try NotificationsWiring.notifier(config, instanceID: instanceID, logger: logger, metrics: operations.metrics)
        } catch {
            logger.error("cannot set up notifications", ["error": "\(error)"])
            return ExitCode.failure
        }
        notifier?.start()
        let registry = Registry(options: options, driver: driver, logger: logger, metrics: operations.metrics,
                                notifier: notifier, blobCache: RedisWiring.cache(config, logger: logger, metrics: operations.metrics))
        do {
            try operations.addRoutes(to: registry, config: config.operations)
        } catch {
            logger.error("cannot add routes", ["error": "\(error)"])
            return ExitCode.failure
        }
        // Abandoned uploads are purged as distribution does; never on a read-only registry.
        let purging = config.storage.uploadPurging
        let purger = purging.enabled && !config.storage.readOnly
            ? UploadPurger(driver: driver, age: purging.age, dryRun: purging.dryRun, logger: logger) : nil
        purger?.schedule(interval: purging.interval)
        // Old tag revisions are pruned on storage.maintenance.pruning.schedule.
        let pruneSchedule = PruneSchedule.configured(config.storage, driver: driver, logger: logger, metrics: operations.metrics)
        pruneSchedule?.start()
        do {
            let endpoint = PrunerEndpoint(schedule: pruneSchedule, scheduleText: config.storage.pruning.schedule.description)
            try registry.addRoute(.pruner, endpoint.handler)
        } catch {
            logger.error("cannot add routes", ["error": "\(error)"])
            return ExitCode.failure
        }
        // Unreferenced blobs are collected every storage.maintenance.gc.interval, under a lease.
        let collector = OnlineCollector.configured(config.storage, registry: registry, holder: instanceID)
        collector?.start()
        // Cached tags whose proxy ttl has passed are removed (the next pull asks the upstream).
        let expiry = config.storage.readOnly ? nil : registry.cachedTagExpiry()
        expiry?.start()
        // openshift.metrics.secret works with auth on too: a metrics request carrying it skips
        // the role check, and the endpoint verifies the secret itself.
        let secretHolder = config.operations.metricsEnabled
            ? operations.metrics.map { MetricsEndpoint(metrics: $0, secret: config.operations.metricsSecret) } : nil
        let guarded = auth.map { auth in
            secretHolder.map { endpoint in
                auth.exempting { $0.routeMatch.route?.id == .metrics && endpoint.carriesSecret($0) }
            } ?? auth
        }
        // The route is matched once, before the middleware, which reads it.
        var outer: [HTTPMiddleware] = config.log.accessLogDisabled ? [] : [AccessLogMiddleware(logger: logger)]
        if !config.http.headers.isEmpty { outer.append(ResponseHeadersMiddleware(headers: config.http.headers)) }
        let handler = registry.handler(middleware: outer + operations.middleware + (guarded.map { [$0] } ?? []))
        let server = HTTPServer(configuration: settings.server, logger: logger, handler: handler)
        let shutdown = ShutdownSignal()
        do {
            try server.start()
        } catch {
            logger.error("cannot start server", ["addr": config.http.addr, "error": "\(error)"])
            return ExitCode.failure
        }
        let addr = settings.server.port == 0 ? "\(settings.server.host):\(server.localPort)" : config.http.addr
        logger.log(.info, "listening on \(addr)", fields: StartupSummary.fields(config, addr: addr))
        options.healthMonitor?.start()
        let debugServer: HTTPServer?
        do {
            debugServer = try DebugServer.start(config.http.debug, health: HealthCheck(driver: driver, monitor: options.healthMonitor),
                                                metrics: operations.metrics, limits: settings.server.limits, logger: logger)
        } catch {
            logger.error("cannot start debug server", ["addr": config.http.debug?.addr ?? "", "error": "\(error)"])
            await server.shutdown(gracePeriod: 0)
            return ExitCode.failure
        }

        let signal = await shutdown.wait()
        logger.info("shutting down", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT",
                                      "draintimeout": ConfigValueParser.formatDuration(config.http.drainTimeout)])
        purger?.cancel()
        pruneSchedule?.cancel()
        await collector?.stop()
        expiry?.cancel()
        options.healthMonitor?.stop()
        await debugServer?.shutdown(gracePeriod: 0)
        await server.shutdown(gracePeriod: config.http.drainTimeout)
        // Events of the last requests get a few seconds to reach their endpoints.
        await notifier?.drain(within: min(config.http.drainTimeout, 5))
        notifier?.stop()
        logger.info("stopped")
        return ExitCode.success
    }
}
