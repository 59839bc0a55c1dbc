import Foundation

/// A driver's parameters after validation against its ``StorageDriverRegistration``:
/// every value given is well-formed and defaults are filled in, so a driver reads typed
/// values without parsing again.
public struct StorageDriverParameters: Sendable {
    /// The values, lower-case keys, defaults included.
    public let values: [String: String]

    init(values: [String: String]) {
        self.values = values
    }

    /// The text of `name`, nil when absent.
    public func string(_ name: String) -> String? { values[name] }

    /// The integer `name` (validated), nil when absent.
    public func integer(_ name: String) -> Int? { values[name].flatMap { Int($0) } }

    /// The boolean `name` (validated), nil when absent.
    public func boolean(_ name: String) -> Bool? { values[name].flatMap(StorageDriverParameter.boolean) }
}
