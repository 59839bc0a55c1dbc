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

/// config/examples: one file per reference (distribution 2.8, distribution 3, the OpenShift
/// registry), each using every key of its reference, loads with one warning per key that
/// has no effect here.
final class ReferenceExampleTests: XCTestCase {
    /// Top-level sections of features that may not be merged yet (notifications and redis:
    /// issue 18 parts 2 and 6; proxy: issue 17): left out while the schema does not know
    /// them, tested whole once it does (as conformance/confighelpers.py does).
    static let notYetKnown: Set<String> = Set(["notifications", "redis", "proxy"].filter { ConfigSchema.root.child($0) == nil })

    static func load(_ name: String, environment: [String: String] = [:]) throws -> LoadedConfiguration {
        let url = ExampleConfigTests.configDirectory.appendingPathComponent("examples").appendingPathComponent(name)
        var kept: [Substring] = []
        var skipping = false
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first.isLetter, let colon = line.firstIndex(of: ":") {
                skipping = notYetKnown.contains(String(line[..<colon]))
            }
            if !skipping { kept.append(line) }
        }
        return try Configuration.parse(Data(kept.joined(separator: "\n").utf8), origin: name, environment: environment)
    }

    func testEveryReferenceFileIsHere() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: ExampleConfigTests.configDirectory.appendingPathComponent("examples").path).sorted()
        XCTAssertEqual(names, ["distribution-2.8.yml", "distribution-3.yml", "openshift-registry.yml"])
    }

    func testDistributionFiles() throws {
        for name in ["distribution-2.8.yml", "distribution-3.yml"] {
            let loaded = try Self.load(name)
            let c = loaded.configuration
            XCTAssertTrue(loaded.warnings.contains { $0.hasPrefix("middleware: accepted, no effect") }, name)
            XCTAssertEqual(c.http.debug?.addr, "localhost:5001", name)
            XCTAssertEqual(c.http.headers["X-Content-Type-Options"], ["nosniff"], name)
            XCTAssertEqual(c.health.storageDriver?.threshold, 3, name)
            XCTAssertEqual(c.health.files.count, 1, name)
            XCTAssertEqual(c.health.http.first?.statusCode, 200, name)
            XCTAssertEqual(c.health.tcp.first?.addr, "redis-server.domain.com:6379", name)
            XCTAssertEqual(c.http.tls?.clientCAs.count, 1, name)
            XCTAssertEqual(c.auth.htpasswd?.realm, "basic-realm", name)
        }
        XCTAssertEqual(try Self.load("distribution-3.yml").configuration.log.formatter, .json)
        XCTAssertTrue(try Self.load("distribution-3.yml").configuration.log.accessLogDisabled)
        XCTAssertEqual(try Self.load("distribution-3.yml").configuration.http.tls?.minimumTLS, .tls13)
    }

    func testOpenShiftFile() throws {
        let loaded = try Self.load("openshift-registry.yml", environment: ["REGISTRY_AUTH_OPENSHIFT_POLICY": "/etc/wharf/policy.yml"])
        let c = loaded.configuration
        XCTAssertEqual(c.auth.openshift?.policy, "/etc/wharf/policy.yml")
        XCTAssertEqual(c.auth.openshift?.tokenRealm, "https://image-registry.example.com:5000")
        XCTAssertTrue(c.operations.metricsEnabled)
        XCTAssertEqual(loaded.warnings.count, 7, "\(loaded.warnings)")
        XCTAssertTrue(loaded.warnings.contains { $0.hasPrefix("openshift.pullthrough: accepted, no effect") })
    }
}
