import Foundation
@testable import WharfStorage

/// The Swift cluster the shared driver suite runs against: a single-node Swift with tempauth,
/// as `../shared/emulators/swift-saio.sh start` runs it, named by `WHARF_TEST_SWIFT_AUTHURL`
/// (e.g. `http://127.0.0.1:9310/auth/v1.0`; user `WHARF_TEST_SWIFT_USER`, default
/// `test:tester`, key `WHARF_TEST_SWIFT_KEY`, default `testing`). Nil when it is not set.
enum SwiftSAIO {
    static let authURL: String? = {
        let e = ProcessInfo.processInfo.environment["WHARF_TEST_SWIFT_AUTHURL"] ?? ""
        return e.isEmpty ? nil : e
    }()

    static var user: String { ProcessInfo.processInfo.environment["WHARF_TEST_SWIFT_USER"] ?? "test:tester" }
    static var key: String { ProcessInfo.processInfo.environment["WHARF_TEST_SWIFT_KEY"] ?? "testing" }

    /// The parameters of a driver on a fresh container (created by the driver at start), with
    /// 1 MiB segments so multi-segment uploads are exercised (smaller segments are rate-limited
    /// by the SLO middleware after the tenth: `rate_limit_under_size`).
    static func parameters(container: String? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        var p = ["authurl": authURL ?? "", "username": user, "password": key, "chunksize": String(1 << 20),
                 "container": container ?? "wharf-test-" + UUID().uuidString.lowercased().prefix(18)]
        p.merge(extra) { $1 }
        return p
    }

    /// A driver on a fresh container, under a root directory.
    static func freshDriver(rootDirectory: String = "", _ extra: [String: String] = [:]) async throws -> SwiftDriver {
        var e = extra
        e["rootdirectory"] = rootDirectory
        return try SwiftDriver(configuration: try SwiftConfiguration(parameters: parameters(e)))
    }
}
