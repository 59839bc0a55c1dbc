import Foundation
import WharfConfig
import WharfHTTP
import WharfMetrics
import WharfRegistry
import WharfStorage

extension PruneSchedule {
    /// The schedule `storage.maintenance.pruning` asks for, or nil when it is off (or the
    /// registry is read-only).
    static func configured(_ storage: Configuration.Storage, driver: StorageDriver, logger: Logger,
                           metrics: RegistryMetrics?) -> PruneSchedule? {
        let pruning = storage.pruning
        guard pruning.enabled, !storage.readOnly else { return nil }
        let options = Pruner.Options(keepTagRevisions: pruning.keepTagRevisions, keepYoungerThan: pruning.keepYoungerThan,
                                     confirm: !pruning.dryRun)
        let schedule = pruning.schedule
        let settings = Settings(options: options, suspend: pruning.suspend,
                                ignoreInvalidImageReferences: pruning.ignoreInvalidImageReferences,
                                next: { schedule.next(after: $0) })
        return PruneSchedule(driver: driver, settings: settings, logger: logger, metrics: metrics)
    }
}

extension OnlineCollector {
    /// The collector `storage.maintenance.gc` asks for, or nil when it is off (or the
    /// registry is read-only).
    static func configured(_ storage: Configuration.Storage, registry: Registry, holder: String) -> OnlineCollector? {
        let gc = storage.gc
        guard gc.enabled, !storage.readOnly else { return nil }
        var settings = Settings(interval: gc.interval, gracePeriod: gc.gracePeriod, deleteUntagged: gc.deleteUntagged, dryRun: gc.dryRun)
        settings.sweepDelay = gc.sweepDelay
        settings.leaseDuration = gc.leaseDuration
        if let pause = ProcessInfo.processInfo.environment["WHARF_TEST_GC_LINK_PAUSE"].flatMap(Double.init), pause > 0 {
            settings.testLinkPause = pause
        }
        if let pause = ProcessInfo.processInfo.environment["WHARF_TEST_GC_SWEEP_PAUSE"].flatMap(Double.init), pause > 0 {
            settings.testSweepPause = pause
        }
        return registry.onlineCollector(holder: holder, settings: settings)
    }
}
