import Foundation
import XCTest
import WharfConfig

/// `storage.maintenance.pruning`: OpenShift's pruner settings and defaults, from the file and `REGISTRY_*`.
final class PruningConfigurationTests: XCTestCase {
    private func parse(_ text: String, env: [String: String] = [:]) throws -> Configuration {
        try Configuration.parse(Data(text.utf8), origin: "config.yml", environment: env).configuration
    }

    func testDefaultsAreTheOpenShiftPruners() throws {
        let p = try parse("version: 0.1\n").storage.pruning
        XCTAssertFalse(p.enabled)
        XCTAssertEqual(p.schedule.description, "0 0 * * *")
        XCTAssertFalse(p.suspend)
        XCTAssertEqual(p.keepTagRevisions, 3)
        XCTAssertEqual(p.keepYoungerThan, 3600)
        XCTAssertTrue(p.ignoreInvalidImageReferences)
        XCTAssertFalse(p.dryRun)
    }

    func testEverySettingFromTheFileAndTheEnvironment() throws {
        let c = try parse("""
        storage:
          maintenance:
            pruning:
              enabled: true
              schedule: "*/30 2-4 * * 1-5"
              suspend: true
              keeptagrevisions: 5
              keepyoungerthan: 2h
              ignoreinvalidimagereferences: false
              dryrun: true
        """, env: ["REGISTRY_STORAGE_MAINTENANCE_PRUNING_KEEPTAGREVISIONS": "1"])
        let p = c.storage.pruning
        XCTAssertTrue(p.enabled && p.suspend && p.dryRun)
        XCTAssertEqual(p.schedule, try CronSchedule(parsing: "*/30 2-4 * * 1-5"))
        XCTAssertEqual(p.keepTagRevisions, 1)
        XCTAssertEqual(p.keepYoungerThan, 7200)
        XCTAssertFalse(p.ignoreInvalidImageReferences)
        // The printed configuration reads back the same.
        let printed = ConfigurationPrinter.yaml(c, maskSecrets: false)
        XCTAssertEqual(try parse(printed).storage.pruning, p, printed)
    }

    func testBadValuesNameTheLine() {
        for (text, message) in [
            ("storage:\n  maintenance:\n    pruning:\n      schedule: \"0 0 * *\"\n", "config.yml:4: storage.maintenance.pruning.schedule: a cron schedule has 5 fields"),
            ("storage:\n  maintenance:\n    pruning:\n      keeptagrevisions: -1\n", "config.yml:4: storage.maintenance.pruning.keeptagrevisions"),
            ("storage:\n  maintenance:\n    pruning:\n      keepyoungerthan: soon\n", "config.yml:4: storage.maintenance.pruning.keepyoungerthan"),
            ("storage:\n  maintenance:\n    pruning:\n      schedul: x\n", "config.yml:4"),
        ] {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }
}
