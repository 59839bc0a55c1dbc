import Foundation

extension InMemoryDriver {
    /// `storage.inmemory`: no parameters; nothing persists (tests, demos).
    public static let registration = StorageDriverRegistration(name: "inmemory", parameters: []) { _ in
        InMemoryDriver()
    }
}
