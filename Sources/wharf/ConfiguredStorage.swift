import Foundation
import WharfConfig
import WharfStorage

/// The storage driver a configuration file names, for the offline commands
/// (`garbage-collect`, `prune`): `REGISTRY_*` variables applied as `serve` applies them.
struct ConfiguredStorage {
    let driver: StorageDriver
    let configuration: Configuration

    /// Opens the storage of `configFile`; on failure prints why and gives the exit status
    /// (2 for a bad configuration, 1 when the storage cannot be opened).
    static func open(configFile: String) -> Result<ConfiguredStorage, ExitStatus> {
        let configuration: Configuration
        do {
            let loaded = try Configuration.load(file: configFile, environment: ProcessInfo.processInfo.environment)
            for warning in loaded.warnings { Console.err("warning: \(warning)") }
            configuration = loaded.configuration
        } catch {
            Console.err("\(error)")
            return .failure(ExitStatus(code: ExitCode.usage))
        }
        do {
            let driver = try StorageDriverFactory.make(name: configuration.storage.driverName,
                                                       parameters: configuration.storage.driverParameters)
            return .success(ConfiguredStorage(driver: InstrumentedDriver(driver) { _, _, _, _ in }, configuration: configuration))
        } catch {
            Console.err("cannot open storage (\(configuration.storage.driverName)): \(error)")
            return .failure(ExitStatus(code: ExitCode.failure))
        }
    }
}

/// A progress line on stderr, redrawn in place; silent unless stderr is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let enabled = isatty(2) != 0
    private let lock = NSLock()
    private var last = Date.distantPast
    private var shown = false

    /// Redraws the line, at most ten times a second.
    func show(_ text: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.1 else { return }
        last = now
        shown = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    /// Ends the line so what follows starts on a fresh one.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}
