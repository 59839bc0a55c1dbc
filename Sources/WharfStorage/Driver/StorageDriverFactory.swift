import Foundation

/// The storage-driver registry, as distribution's `storage/driver/factory`: every driver
/// Wharf runs, by its config name, and the one way to build one from its `storage.<name>`
/// parameters (strings, as written). Config validation, `check-config`, `REGISTRY_*`
/// variables and `serve` all go through it, so a parameter means the same everywhere.
///
/// Adding a driver: its folder under `Drivers/` with a `<Name>Driver+Registration.swift`
/// declaring a ``StorageDriverRegistration``, one line in ``registrations``, and its case
/// in the shared driver test suite (`DriverUnderTest`). The result of ``make(name:parameters:)``
/// is the bare driver; wrap it in ``InstrumentedDriver`` to validate paths and observe calls.
///
/// ```swift
/// let driver = try StorageDriverFactory.make(name: "filesystem", parameters: ["rootdirectory": "/var/lib/registry"])
/// ```
public enum StorageDriverFactory {
    /// Every driver Wharf can run, one line each.
    public static let registrations: [StorageDriverRegistration] = [
        FilesystemDriver.registration,
        InMemoryDriver.registration,
        S3Driver.registration,
        GCSDriver.registration,
        AzureDriver.registration,
        SwiftDriver.registration,
    ]

    /// Drivers distribution has that Wharf does not run yet: named in a clear error
    /// rather than "unknown key".
    public static let planned: [String] = ["oss"]

    /// Every driver name ``make(name:parameters:)`` accepts.
    public static let knownNames = registrations.map(\.name)

    /// The default root of the filesystem driver, relative to the working directory.
    public static let defaultRootDirectory = FilesystemDriver.defaultRootDirectory

    /// The registration called `name` (case-insensitive).
    public static func registration(named name: String) -> StorageDriverRegistration? {
        let lowered = name.lowercased()
        return registrations.first { $0.name == lowered }
    }

    /// Builds the driver called `name` (case-insensitive) from its written parameters.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` for an unknown name or a bad parameter
    ///   (the message `check-config` shows too); whatever the driver's initializer throws
    ///   (e.g. an uncreatable root directory).
    public static func make(name: String, parameters: [String: String]) throws -> StorageDriver {
        guard let registration = registration(named: name) else {
            throw StorageError.unsupported(
                "unknown storage driver \"\(name)\"; known drivers: \(knownNames.joined(separator: ", "))")
        }
        return try registration.make(parameters)
    }
}
