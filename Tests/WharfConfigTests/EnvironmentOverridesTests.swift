import XCTest
import WharfStorage
import WharfConfig

/// `REGISTRY_*` variables: mapping to keys, precedence over the file, driver selection,
/// and warnings for names that are not keys. The environment is passed as a dictionary.
final class EnvironmentOverridesTests: XCTestCase {
    private func load(_ text: String = "", _ env: [String: String]) throws -> LoadedConfiguration {
        try Configuration.parse(Data(text.utf8), origin: "config.yml", environment: env)
    }

    func testVariablesOverrideTheFile() throws {
        let c = try load("http:\n  addr: :5000\n  secret: file\nlog:\n  level: info\n", [
            "REGISTRY_HTTP_ADDR": ":8080",
            "REGISTRY_HTTP_SECRET": "from-env",
            "REGISTRY_LOG_LEVEL": "debug",
            "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/srv/registry",
            "REGISTRY_STORAGE_DELETE_ENABLED": "true",
            "REGISTRY_HTTP_TLS_CERTIFICATE": "/c.pem",
            "REGISTRY_HTTP_TLS_KEY": "/k.pem",
            "REGISTRY_HTTP_DRAINTIMEOUT": "5s",
            "REGISTRY_HTTP_LIMITS_MAXBODYSIZE": "1GiB",
            "REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED": "true",
        ]).configuration
        XCTAssertEqual(c.http.addr, ":8080")
        XCTAssertEqual(c.http.secret, "from-env")
        XCTAssertEqual(c.log.level, "debug")
        XCTAssertEqual(c.storage.driver, .filesystem(rootDirectory: "/srv/registry"))
        XCTAssertTrue(c.storage.deleteEnabled)
        XCTAssertEqual(c.http.tls?.certificate, "/c.pem")
        XCTAssertEqual(c.http.tls?.key, "/k.pem")
        XCTAssertEqual(c.http.drainTimeout, 5)
        XCTAssertEqual(c.http.limits.maxBodySize, 1 << 30)
        XCTAssertTrue(c.storage.readOnly)
    }

    func testValuesAreTakenLiterally() throws {
        let c = try load("", ["REGISTRY_HTTP_SECRET": "a: b # not a comment", "REGISTRY_HTTP_ADDR": ":5001"]).configuration
        XCTAssertEqual(c.http.secret, "a: b # not a comment")
    }

    func testFreeKeyMapsAndSections() throws {
        let c = try load("log:\n  fields:\n    a: 1\n", [
            "REGISTRY_LOG_FIELDS_SERVICE_NAME": "wharf",
            "REGISTRY_HTTP_HEADERS_X-FRAME-OPTIONS": "[DENY]",
        ]).configuration
        XCTAssertEqual(c.log.fields, ["a": "1", "service_name": "wharf"])
        XCTAssertEqual(c.http.headers, ["x-frame-options": ["DENY"]])
        let replaced = try load("log:\n  fields:\n    a: 1\n", ["REGISTRY_LOG_FIELDS": "{}"]).configuration
        XCTAssertEqual(replaced.log.fields, [:])
    }

    func testStorageSelection() throws {
        let file = "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\n"
        let mem = try load(file, ["REGISTRY_STORAGE": "inmemory"]).configuration
        XCTAssertEqual(mem.storage.driver, .inMemory)
        XCTAssertTrue(mem.storage.deleteEnabled, "the rest of storage is kept")
        let same = try load(file, ["REGISTRY_STORAGE": "filesystem"]).configuration
        XCTAssertEqual(same.storage.driver, .filesystem(rootDirectory: "/var/lib/registry"))
        let noFile = try load("", ["REGISTRY_STORAGE": "filesystem", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/x"]).configuration
        XCTAssertEqual(noFile.storage.driver, .filesystem(rootDirectory: "/x"))
        XCTAssertThrowsError(try load(file, ["REGISTRY_STORAGE": "oss"])) {
            XCTAssertEqual("\($0)", "$REGISTRY_STORAGE: unsupported storage driver 'oss' (supported: \(StorageDriverFactory.knownNames.joined(separator: ", ")))")
        }
        XCTAssertThrowsError(try load(file, ["REGISTRY_STORAGE": "gcs"])) {
            XCTAssertEqual("\($0)", "$REGISTRY_STORAGE: storage.gcs.bucket: required")
        }
        XCTAssertThrowsError(try load(file, ["REGISTRY_STORAGE": "s3"])) {
            XCTAssertEqual("\($0)", "$REGISTRY_STORAGE: storage.s3.bucket: required")
        }
        let s3 = try load("", ["REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "b", "REGISTRY_STORAGE_S3_REGIONENDPOINT": "http://h:1"]).configuration
        XCTAssertEqual(s3.storage.driver, .s3)
        XCTAssertEqual(s3.storage.driverParameters["regionendpoint"], "http://h:1")
        // a second driver's parameters from the environment make two drivers: refused
        XCTAssertThrowsError(try load("storage:\n  inmemory: {}\n", ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/x"])) {
            XCTAssertTrue("\($0)".contains("more than one storage driver configured (inmemory, filesystem)"), "\($0)")
        }
    }

    func testErrorsNameTheVariable() {
        XCTAssertThrowsError(try load("", ["REGISTRY_STORAGE_DELETE_ENABLED": "perhaps"])) {
            XCTAssertEqual("\($0)", "$REGISTRY_STORAGE_DELETE_ENABLED: storage.delete.enabled: expected true or false (also yes/no, on/off), found 'perhaps'")
        }
        XCTAssertThrowsError(try load("", ["REGISTRY_HTTP_ADDR": "nowhere"])) {
            XCTAssertEqual("\($0)", "$REGISTRY_HTTP_ADDR: http.addr: invalid address 'nowhere' (expected host:port, e.g. :5000)")
        }
        XCTAssertThrowsError(try load("", ["REGISTRY_LOG_FIELDS": "[unclosed"])) {
            XCTAssertEqual("\($0)", "$REGISTRY_LOG_FIELDS:1: unterminated flow sequence (it must close on the same line)")
        }
    }

    func testUnknownVariablesAreWarningsAndServiceLinksAreSilent() throws {
        let loaded = try load("", [
            "REGISTRY_HTTP_ADRR": ":1",
            "REGISTRY_AUTH_TOKEN_REALM": "/x",
            "REGISTRY_HTTP_ADDR_EXTRA": "x",
            "REGISTRY_HTTP__ADDR": "x",
            "REGISTRY_SERVICE_HOST": "10.0.0.1",
            "REGISTRY_PORT_5000_TCP": "tcp://10.0.0.1:5000",
            "REGISTRY_PORT": "tcp://10.0.0.1:5000",
            "OTHER_HTTP_ADDR": ":1",
        ])
        XCTAssertEqual(loaded.warnings, [
            "REGISTRY_AUTH_TOKEN_REALM: not a configuration key, ignored",
            "REGISTRY_HTTP_ADDR_EXTRA: not a configuration key, ignored",
            "REGISTRY_HTTP_ADRR: not a configuration key, ignored",
            "REGISTRY_HTTP__ADDR: not a configuration key, ignored",
        ])
        XCTAssertEqual(loaded.configuration, Configuration())
    }

    func testSchemaResolution() {
        XCTAssertEqual(ConfigSchema.root.resolve(["http", "tls", "certificate"])?.path, ["http", "tls", "certificate"])
        XCTAssertEqual(ConfigSchema.root.resolve(["log", "fields", "a", "b"])?.path, ["log", "fields", "a_b"])
        XCTAssertNil(ConfigSchema.root.resolve(["http", "addr", "x"]))
        XCTAssertNil(ConfigSchema.root.resolve(["nope"]))
    }
}
