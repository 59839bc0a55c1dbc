import XCTest
import WharfConfig

/// `openshift.metrics.*` and `openshift.requests.*`, from the file and from REGISTRY_OPENSHIFT_*.
final class OperationsConfigurationTests: XCTestCase {
    func testDefaultsAreOffAndUnlimited() throws {
        let c = try Configuration.parse(Data(), origin: "t").configuration.operations
        XCTAssertFalse(c.metricsEnabled)
        XCTAssertNil(c.metricsSecret)
        XCTAssertEqual(c.readLimits, .init())
        XCTAssertEqual(c.writeLimits.maxRunning, 0)
    }

    func testOperationsExample() throws {
        let path = ExampleConfigTests.configDirectory.appendingPathComponent("config-operations.yml").path
        let c = try Configuration.load(file: path, environment: [:]).configuration
        XCTAssertTrue(c.operations.metricsEnabled)
        XCTAssertEqual(c.operations.metricsSecret, "change-me-metrics")
        XCTAssertEqual(c.operations.readLimits.maxRunning, 100)
        XCTAssertEqual(c.operations.readLimits.maxInQueue, 200)
        XCTAssertEqual(c.operations.readLimits.maxWaitInQueue, 30)
        XCTAssertEqual(c.operations.writeLimits.maxWaitInQueue, 120)
        XCTAssertEqual(c.log.formatter, .json)
    }

    func testEnvironmentVariables() throws {
        let c = try Configuration.parse(Data(), origin: "t", environment: [
            "REGISTRY_OPENSHIFT_METRICS_ENABLED": "true",
            "REGISTRY_OPENSHIFT_METRICS_SECRET": "s",
            "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXRUNNING": "3",
            "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXINQUEUE": "4",
            "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXWAITINQUEUE": "250ms",
        ])
        XCTAssertEqual(c.warnings, [])
        XCTAssertTrue(c.configuration.operations.metricsEnabled)
        XCTAssertEqual(c.configuration.operations.metricsSecret, "s")
        XCTAssertEqual(c.configuration.operations.writeLimits.maxRunning, 3)
        XCTAssertEqual(c.configuration.operations.writeLimits.maxInQueue, 4)
        XCTAssertEqual(c.configuration.operations.writeLimits.maxWaitInQueue, 0.25)
    }

    func testBadValuesNameTheirKey() {
        XCTAssertThrowsError(try Configuration.parse(Data("openshift:\n  requests:\n    read:\n      maxrunning: -1\n".utf8), origin: "t")) {
            XCTAssertTrue("\($0)".contains("openshift.requests.read.maxrunning"), "\($0)")
        }
        XCTAssertThrowsError(try Configuration.parse(Data("openshift:\n  metrics:\n    enabeld: true\n".utf8), origin: "t")) {
            XCTAssertTrue("\($0)".contains("openshift.metrics.enabeld: unknown key"), "\($0)")
        }
    }

    func testPrintedWithSecretMaskedAndReadsBack() throws {
        let path = ExampleConfigTests.configDirectory.appendingPathComponent("config-operations.yml").path
        let c = try Configuration.load(file: path, environment: [:]).configuration
        let masked = ConfigurationPrinter.yaml(c)
        XCTAssertFalse(masked.contains("change-me-metrics"))
        XCTAssertTrue(masked.contains("secret: \"*****\""))
        let back = try Configuration.parse(Data(ConfigurationPrinter.yaml(c, maskSecrets: false).utf8), origin: "printed").configuration
        XCTAssertEqual(back.operations, c.operations)
    }
}
