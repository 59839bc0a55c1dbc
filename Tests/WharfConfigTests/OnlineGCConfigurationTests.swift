import Foundation
import XCTest
import WharfConfig

/// `storage.maintenance.gc`: online garbage collection settings, from the file and `REGISTRY_*`.
final class OnlineGCConfigurationTests: XCTestCase {
    private func parse(_ text: String, env: [String: String] = [:]) throws -> Configuration {
        try Configuration.parse(Data(text.utf8), origin: "config.yml", environment: env).configuration
    }

    func testDefaults() throws {
        let gc = try parse("version: 0.1\n").storage.gc
        XCTAssertFalse(gc.enabled || gc.deleteUntagged || gc.dryRun)
        XCTAssertEqual(gc.interval, 3600)
        XCTAssertEqual(gc.gracePeriod, 3600)
        XCTAssertEqual(gc.sweepDelay, 30)
        XCTAssertEqual(gc.leaseDuration, 60)
    }

    func testEverySettingFromTheFileAndTheEnvironment() throws {
        let c = try parse("""
        storage:
          maintenance:
            gc:
              enabled: true
              interval: 10m
              graceperiod: 2h
              deleteuntagged: true
              dryrun: true
              sweepdelay: 45s
              leaseduration: 2m
        """, env: ["REGISTRY_STORAGE_MAINTENANCE_GC_GRACEPERIOD": "90m"])
        let gc = c.storage.gc
        XCTAssertTrue(gc.enabled && gc.deleteUntagged && gc.dryRun)
        XCTAssertEqual(gc.interval, 600)
        XCTAssertEqual(gc.gracePeriod, 5400)
        XCTAssertEqual(gc.sweepDelay, 45)
        XCTAssertEqual(gc.leaseDuration, 120)
        let printed = ConfigurationPrinter.yaml(c, maskSecrets: false)
        XCTAssertEqual(try parse(printed).storage.gc, gc, printed)
    }

    func testBadValuesNameTheLine() {
        for (text, message) in [
            ("storage:\n  maintenance:\n    gc:\n      interval: 0s\n", "config.yml:4: storage.maintenance.gc.interval"),
            ("storage:\n  maintenance:\n    gc:\n      graceperiod: soon\n", "config.yml:4: storage.maintenance.gc.graceperiod"),
            ("storage:\n  maintenance:\n    gc:\n      enabled: maybe\n", "config.yml:4: storage.maintenance.gc.enabled"),
            ("storage:\n  maintenance:\n    gc:\n      grace: 1h\n", "config.yml:4"),
        ] {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }
}
