import XCTest
import WharfConfig

/// Every example in config/ validates, so the shipped examples cannot rot.
final class ExampleConfigTests: XCTestCase {
    static let configDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config")

    func testEveryExampleValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configDirectory.path)
            .filter { $0.hasSuffix(".yml") }.sorted()
        XCTAssertEqual(files, ["config-dev.yml", "config-inmemory.yml", "config-operations.yml", "config-s3.yml", "config-tls.yml", "config.yml"])
        for name in files {
            let loaded = try Configuration.load(file: Self.configDirectory.appendingPathComponent(name).path, environment: [:])
            XCTAssertEqual(loaded.warnings, [], name)
        }
    }

    func testShippedDefaultConfig() throws {
        let c = try Configuration.load(file: Self.configDirectory.appendingPathComponent("config.yml").path, environment: [:]).configuration
        XCTAssertEqual(c.http.addr, ":5000")
        XCTAssertEqual(c.storage.driver, .filesystem(rootDirectory: "/var/lib/registry"))
        XCTAssertTrue(c.storage.deleteEnabled)
    }

    func testOtherExamples() throws {
        func load(_ name: String) throws -> Configuration {
            try Configuration.load(file: Self.configDirectory.appendingPathComponent(name).path, environment: [:]).configuration
        }
        XCTAssertEqual(try load("config-dev.yml").storage.driver, .filesystem(rootDirectory: "./data"))
        XCTAssertEqual(try load("config-dev.yml").log.level, "debug")
        XCTAssertEqual(try load("config-inmemory.yml").storage.driver, .inMemory)
        let s3 = try load("config-s3.yml").storage
        XCTAssertEqual(s3.driver, .s3)
        XCTAssertEqual(s3.driverParameters["bucket"], "registry")
        XCTAssertEqual(s3.driverParameters["chunksize"], "10485760")
        XCTAssertEqual(try load("config-tls.yml").http.tls, Configuration.TLS(certificate: "/etc/wharf/tls/tls.crt", key: "/etc/wharf/tls/tls.key"))
    }
}
