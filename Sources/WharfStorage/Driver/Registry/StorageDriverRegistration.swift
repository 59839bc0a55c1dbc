import Foundation

/// What one storage driver tells the rest of Wharf about itself: its name in config,
/// its parameters, and how it builds itself from them (the role of a distribution
/// driver's `factory.Register` call). Each driver declares one in its own folder
/// (`Drivers/<Name>/<Name>Driver+Registration.swift`); ``StorageDriverFactory/registrations``
/// lists them.
public struct StorageDriverRegistration: Sendable {
    /// The section name under `storage:` (`filesystem`, `s3`).
    public let name: String
    /// Every parameter the section accepts.
    public let parameters: [StorageDriverParameter]
    private let build: @Sendable (StorageDriverParameters) throws -> StorageDriver

    /// Declares a driver.
    public init(name: String, parameters: [StorageDriverParameter],
                build: @escaping @Sendable (StorageDriverParameters) throws -> StorageDriver) {
        self.name = name
        self.parameters = parameters
        self.build = build
    }

    /// The parameter called `name`.
    public func parameter(_ name: String) -> StorageDriverParameter? {
        parameters.first { $0.name == name }
    }

    /// Checks the written parameters (lower-case keys; unknown keys are the schema's
    /// concern and ignored here) and fills in defaults.
    public func validate(_ written: [String: String]) throws(StorageDriverParameterError) -> StorageDriverParameters {
        var values: [String: String] = [:]
        for parameter in parameters {
            guard let value = written[parameter.name] ?? parameter.defaultValue else {
                if parameter.required {
                    throw StorageDriverParameterError(driver: name, parameter: parameter.name, reason: "required")
                }
                continue
            }
            if parameter.required && value.isEmpty && parameter.kind != .nonEmptyString {
                throw StorageDriverParameterError(driver: name, parameter: parameter.name, reason: "required")
            }
            try parameter.check(value, driver: name)
            values[parameter.name] = value
        }
        return StorageDriverParameters(values: values)
    }

    /// Validates `written` and builds the driver.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` with the validation message for a bad
    ///   parameter; whatever the driver's initializer throws.
    public func make(_ written: [String: String]) throws -> StorageDriver {
        let parameters: StorageDriverParameters
        do { parameters = try validate(written) } catch { throw StorageError.unsupported(error.description) }
        return try build(parameters)
    }
}
