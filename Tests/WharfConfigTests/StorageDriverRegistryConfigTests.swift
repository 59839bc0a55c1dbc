import Foundation
import XCTest
import WharfConfig
import WharfStorage

/// `storage.<driver>` sections are checked by the driver registry itself: `check-config`
/// (with file and line) and the factory `serve` builds through refuse the same values
/// with the same message, and the registry's declarations drive masking and variables.
final class StorageDriverRegistryConfigTests: XCTestCase {
    private func configError(_ yaml: String) -> String? {
        do {
            _ = try Configuration.parse(Data(yaml.utf8), origin: "config.yml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    private func factoryError(_ name: String, _ parameters: [String: String]) -> String? {
        do {
            _ = try StorageDriverFactory.make(name: name, parameters: parameters)
            return nil
        } catch StorageError.unsupported(let message) {
            return message
        } catch {
            return "\(error)"
        }
    }

    func testMaxThreadsZeroIsOneRuleForConfigAndFactory() {
        let message = "storage.filesystem.maxthreads: expected an integer ≥ 1, found '0'"
        XCTAssertEqual(configError("storage:\n  filesystem:\n    rootdirectory: /tmp/x\n    maxthreads: 0\n"), "config.yml:4: \(message)")
        XCTAssertEqual(factoryError("filesystem", ["rootdirectory": "/tmp/x", "maxthreads": "0"]), message)
    }

    func testEveryDeclaredParameterValidatesTheSameBothWays() {
        let cases: [(driver: String, parameter: String, value: String)] = [
            ("filesystem", "directwrites", "maybe"), ("filesystem", "maxthreads", "lots"),
            ("s3", "chunksize", "1048576"), ("s3", "secure", "maybe"), ("s3", "redirectexpiry", "0"),
        ]
        for c in cases {
            var params = c.driver == "s3" ? ["bucket": "b", "accesskey": "a", "secretkey": "s"] : ["rootdirectory": "/tmp/x"]
            params[c.parameter] = c.value
            let yaml = "storage:\n  \(c.driver):\n" + params.sorted { $0.key < $1.key }.map { "    \($0.key): '\($0.value)'\n" }.joined()
            guard let fromFactory = factoryError(c.driver, params) else { return XCTFail("factory accepted \(c)") }
            guard let fromConfig = configError(yaml) else { return XCTFail("config accepted \(c)") }
            XCTAssertTrue(fromFactory.hasPrefix("storage.\(c.driver).\(c.parameter): "), fromFactory)
            XCTAssertTrue(fromConfig.hasSuffix(": " + fromFactory), "\(fromConfig) vs \(fromFactory)")
        }
    }

    func testSchemaSecretsAndVariablesComeFromTheRegistrations() throws {
        for registration in StorageDriverFactory.registrations {
            for parameter in registration.parameters {
                let variable = parameter.environmentVariable(driver: registration.name)
                let upper = parameter.name.uppercased().replacingOccurrences(of: ".", with: "_")
                XCTAssertEqual(variable, "REGISTRY_STORAGE_\(registration.name.uppercased())_\(upper)")
                let components = variable.dropFirst("REGISTRY_".count).split(separator: "_").map { $0.lowercased() }
                XCTAssertEqual(ConfigSchema.root.resolve(components[...])?.path,
                               ["storage", registration.name] + parameter.name.split(separator: ".").map(String.init))
            }
        }
        let loaded = try Configuration.load(file: nil, environment: [
            "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "b", "REGISTRY_STORAGE_S3_ACCESSKEY": "AKIA",
            "REGISTRY_STORAGE_S3_REGION": "eu-west-1"])
        let printed = ConfigurationPrinter.yaml(loaded.configuration)
        XCTAssertTrue(printed.contains("accesskey: \"*****\"") || printed.contains("accesskey: *****"), printed)
        XCTAssertTrue(printed.contains("eu-west-1"), printed)
    }

    func testFilesystemParametersReachTheDriver() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-registry-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let loaded = try Configuration.parse(Data("storage:\n  filesystem:\n    rootdirectory: \(root)\n    maxthreads: 3\n    directwrites: no\n".utf8), origin: "c")
        let storage = loaded.configuration.storage
        let driver = try XCTUnwrap(try StorageDriverFactory.make(name: storage.driverName, parameters: storage.driverParameters) as? FilesystemDriver)
        XCTAssertEqual(driver.maxThreads, 3)
        XCTAssertFalse(driver.directWrites)
    }

    func testANestedDriverSectionIsReadFromTheFileAndTheVariablesAndPrintedBackMasked() throws {
        let yaml = """
        storage:
          azure:
            accountname: acct
            container: c
            credentials:
              type: client_secret
              clientid: app-1
              tenantid: tenant-1
              secret: s3cr3t
        """
        let fromFile = try Configuration.parse(Data(yaml.utf8), origin: "c").configuration.storage.driverParameters
        XCTAssertEqual(fromFile["credentials.type"], "client_secret")
        XCTAssertEqual(fromFile["credentials.secret"], "s3cr3t")
        let loaded = try Configuration.load(file: nil, environment: [
            "REGISTRY_STORAGE": "azure", "REGISTRY_STORAGE_AZURE_ACCOUNTNAME": "acct", "REGISTRY_STORAGE_AZURE_CONTAINER": "c",
            "REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE": "client_secret", "REGISTRY_STORAGE_AZURE_CREDENTIALS_CLIENTID": "app-1",
            "REGISTRY_STORAGE_AZURE_CREDENTIALS_TENANTID": "tenant-1", "REGISTRY_STORAGE_AZURE_CREDENTIALS_SECRET": "s3cr3t"])
        XCTAssertEqual(loaded.configuration.storage.driverParameters, fromFile)
        let printed = ConfigurationPrinter.yaml(loaded.configuration)
        XCTAssertFalse(printed.contains("s3cr3t"), printed)
        XCTAssertTrue(printed.contains("credentials:"), printed)
        let unmasked = ConfigurationPrinter.yaml(loaded.configuration, maskSecrets: false)
        XCTAssertEqual(try Configuration.parse(Data(unmasked.utf8), origin: "p").configuration.storage.driverParameters, fromFile)
        XCTAssertEqual(configError(yaml.replacingOccurrences(of: "client_secret", with: "magic")),
                       "config.yml:6: storage.azure.credentials.type: expected one of shared_key, client_secret, default_credentials, found 'magic'")
    }
}
