import XCTest
import WharfStorage
import WharfConfig
import WharfTestSupport

/// config.yml keys: defaults, each key's value, and type and unknown-key errors.
final class ConfigurationTests: XCTestCase {
    private func load(_ text: String, env: [String: String] = [:]) throws -> Configuration {
        try Configuration.parse(Data(text.utf8), origin: "config.yml", environment: env).configuration
    }

    private func assertError(_ text: String, _ expected: String, env: [String: String] = [:],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(text, env: env), file: file, line: line) {
            XCTAssertEqual("\($0)", expected, file: file, line: line)
        }
    }

    func testDefaults() throws {
        let c = try Configuration.load(file: nil, environment: [:]).configuration
        XCTAssertEqual(c, try load(""))
        XCTAssertEqual(c.http.addr, ":5000")
        XCTAssertEqual(c.http.drainTimeout, 30)
        XCTAssertNil(c.http.secret)
        XCTAssertNil(c.http.tls)
        XCTAssertEqual(c.log.level, "info")
        XCTAssertEqual(c.log.formatter, .text)
        XCTAssertEqual(c.storage.driver, .filesystem(rootDirectory: "./data"))
        XCTAssertEqual(c.storage.driverParameters, ["rootdirectory": "./data"])
        XCTAssertFalse(c.storage.deleteEnabled)
        XCTAssertTrue(c.storage.uploadPurging.enabled)
        XCTAssertEqual(c.storage.uploadPurging.age, 168 * 3600)
        XCTAssertEqual(c.http.limits, Configuration.Limits())
    }

    func testEveryKey() throws {
        let c = try load("""
        version: 0.1
        log:
          level: DEBUG
          formatter: json
          fields:
            service: registry
            env: prod
        http:
          addr: 127.0.0.1:8080
          host: https://registry.example.com
          prefix: /reg
          secret: s3cr3t
          relativeurls: true
          draintimeout: 2m
          tls:
            certificate: /tls/crt.pem
            key: /tls/key.pem
            minimumtls: tls1.3
          http2:
            disabled: true
            maxconcurrentstreams: 250
          headers:
            X-Content-Type-Options: [nosniff]
            X-Single: one
          limits:
            maxheaderbytes: 32KiB
            maxrequestlinebytes: 16KiB
            maxheadercount: 64
            idletimeout: 90s
            headertimeout: 5s
            maxconnections: 100
            maxbodysize: 4MiB
        storage:
          filesystem:
            rootdirectory: /var/lib/registry
            maxthreads: 100
          delete:
            enabled: yes
          redirect:
            disable: true
          maintenance:
            readonly:
              enabled: true
            uploadpurging:
              enabled: false
              age: 72h
              interval: 12h
              dryrun: true
          cache:
            blobdescriptor: inmemory
        """)
        XCTAssertEqual(c.log.level, "debug")
        XCTAssertEqual(c.log.formatter, .json)
        XCTAssertEqual(c.log.fields, ["service": "registry", "env": "prod"])
        XCTAssertEqual(c.http.addr, "127.0.0.1:8080")
        XCTAssertEqual(c.http.host, "https://registry.example.com")
        XCTAssertEqual(c.http.prefix, "/reg")
        XCTAssertEqual(c.http.secret, "s3cr3t")
        XCTAssertTrue(c.http.relativeURLs)
        XCTAssertEqual(c.http.drainTimeout, 120)
        XCTAssertEqual(c.http.tls, Configuration.TLS(certificate: "/tls/crt.pem", key: "/tls/key.pem", minimumTLS: .tls13))
        XCTAssertTrue(c.http.http2Disabled)
        XCTAssertEqual(c.http.http2MaxConcurrentStreams, 250)
        XCTAssertEqual(c.http.headers, ["X-Content-Type-Options": ["nosniff"], "X-Single": ["one"]])
        XCTAssertEqual(c.http.limits.maxHeaderBytes, 32 * 1024)
        XCTAssertEqual(c.http.limits.maxHeaderCount, 64)
        XCTAssertEqual(c.http.limits.maxRequestLineBytes, 16 * 1024)
        XCTAssertEqual(c.http.limits.idleTimeout, 90)
        XCTAssertEqual(c.http.limits.headerTimeout, 5)
        XCTAssertEqual(c.http.limits.maxConnections, 100)
        XCTAssertEqual(c.http.limits.maxBodySize, 4 << 20)
        XCTAssertEqual(c.storage.driver, .filesystem(rootDirectory: "/var/lib/registry"))
        XCTAssertEqual(c.storage.driverParameters, ["rootdirectory": "/var/lib/registry", "maxthreads": "100"])
        XCTAssertTrue(c.storage.deleteEnabled)
        XCTAssertTrue(c.storage.redirectDisabled)
        XCTAssertTrue(c.storage.readOnly)
        XCTAssertEqual(c.storage.uploadPurging, {
            var p = Configuration.UploadPurging()
            p.enabled = false; p.age = 72 * 3600; p.interval = 12 * 3600; p.dryRun = true
            return p
        }())
        XCTAssertEqual(c.storage.blobDescriptorCache, "inmemory")
    }

    func testInMemoryDriverForms() throws {
        XCTAssertEqual(try load("storage:\n  inmemory:\n").storage.driver, .inMemory)
        XCTAssertEqual(try load("storage:\n  inmemory: {}\n").storage.driver, .inMemory)
        XCTAssertEqual(try load("storage:\n  delete:\n    enabled: true\n").storage.driver, .filesystem(rootDirectory: "./data"))
        let emptyFilesystem = try load("storage:\n  filesystem:\n")
        XCTAssertEqual(emptyFilesystem.storage.driver, .filesystem(rootDirectory: "./data"))
        XCTAssertEqual(emptyFilesystem.storage.driverParameters, ["rootdirectory": "./data"], "defaults are part of the raw parameters")
        XCTAssertEqual(emptyFilesystem, Configuration())
    }

    func testDeprecatedLoglevel() throws {
        let loaded = try Configuration.parse(Data("loglevel: debug\n".utf8), origin: "c")
        XCTAssertEqual(loaded.configuration.log.level, "debug")
        XCTAssertEqual(loaded.warnings, ["loglevel is deprecated, use log.level"])
        XCTAssertEqual(try load("loglevel: debug\nlog:\n  level: error\n").log.level, "error")
    }

    func testUnknownKeysNameTheFullPath() {
        assertError("http:\n  adr: :5000\n", "config.yml:2: http.adr: unknown key (did you mean 'addr'?)")
        assertError("version: 0.1\nauth:\n  tokens: {}\n", "config.yml:3: auth.tokens: unknown key (did you mean 'token'?)")
        assertError("storage:\n  filesystem:\n    root: /x\n", "config.yml:3: storage.filesystem.root: unknown key")
        assertError("storage:\n  inmemory:\n    x: 1\n", "config.yml:3: storage.inmemory.x: unknown key")
        assertError("http:\n  tls:\n    clientca: [a]\n", "config.yml:3: http.tls.clientca: unknown key (did you mean 'clientcas'?)")
        // `oss` is distribution's Alibaba driver: known by name, not built here.
        assertError("storage:\n  oss:\n    bucket: x\n",
                    "config.yml:2: storage.oss: storage driver 'oss' is not supported yet (supported: \(StorageDriverFactory.knownNames.joined(separator: ", ")))")
        assertError("storage:\n  gcs:\n    region: x\n", "config.yml:3: storage.gcs.bucket: required")
        assertError("storage:\n  s3:\n    region: x\n", "config.yml:3: storage.s3.bucket: required")
    }

    func testEverySettingIsCheckedEvenAfterAnError() {
        assertError("http:\n  addr: 5000\n  limits:\n    maxconnections: 0\n    idletimeout: 0s\n", """
        config.yml:2: http.addr: invalid address '5000' (expected host:port, e.g. :5000)
        config.yml:4: http.limits.maxconnections: must be between 1 and 2147483647
        config.yml:5: http.limits.idletimeout: must be greater than zero
        """)
    }

    func testTypeErrorsNameKeyAndLine() {
        assertError("http:\n  addr: [a]\n", "config.yml:2: http.addr: expected a scalar, found a sequence")
        assertError("http: 5\n", "config.yml:1: http: expected a mapping, found a scalar")
        assertError("log:\n  fields:\n    a:\n      b: c\n", "config.yml:4: log.fields.a: expected a scalar, found a mapping")
        assertError("storage:\n  delete:\n    enabled: sure\n", "config.yml:3: storage.delete.enabled: expected true or false (also yes/no, on/off), found 'sure'")
        assertError("http:\n  draintimeout: soon\n", "config.yml:2: http.draintimeout: invalid duration 'soon' (expected e.g. 30s, 2m, 1h30m)")
        assertError("http:\n  limits:\n    maxbodysize: 4XB\n", "config.yml:3: http.limits.maxbodysize: invalid size '4XB' (expected bytes, or e.g. 64KiB, 4MiB, 1GiB)")
        assertError("http:\n  limits:\n    maxconnections: 0\n", "config.yml:3: http.limits.maxconnections: must be between 1 and 2147483647")
        assertError("http:\n  http2:\n    maxconcurrentstreams: 0\n", "config.yml:3: http.http2.maxconcurrentstreams: must be between 1 and 2147483647")
        assertError("http:\n  limits:\n    maxheaderbytes: 1TiB\n", "config.yml:3: http.limits.maxheaderbytes: must be between 1 and 2147483647")
        assertError("http:\n  limits:\n    idletimeout: 0s\n", "config.yml:3: http.limits.idletimeout: must be greater than zero")
        assertError("- a\n", "config.yml:1: expected a mapping at the top level, found a sequence")
    }

    func testValueErrors() {
        assertError("log:\n  level: loud\n", "config.yml:2: log.level: unknown level 'loud' (expected one of error, fatal, panic, warn, warning, info, debug, trace, Normal, Debug, Trace, TraceAll; case does not matter)")
        assertError("log:\n  formatter: gelf\n", "config.yml:2: log.formatter: unknown formatter 'gelf' (expected text, json or logstash)")
        assertError("http:\n  addr: 5000\n", "config.yml:2: http.addr: invalid address '5000' (expected host:port, e.g. :5000)")
        assertError("http:\n  addr: :70000\n", "config.yml:2: http.addr: invalid address ':70000' (expected host:port, e.g. :5000)")
        assertError("http:\n  host: registry.example.com\n", "config.yml:2: http.host: expected an absolute http(s) URL, found 'registry.example.com'")
        assertError("http:\n  prefix: v2\n", "config.yml:2: http.prefix: must start with '/'")
        assertError("http:\n  tls:\n    certificate: /c\n", "config.yml:3: http.tls: certificate and key must both be set")
        assertError("http:\n  tls:\n    certificate: /c\n    key: /k\n    minimumtls: tls1.0\n",
                    "config.yml:5: http.tls.minimumtls: unsupported version 'tls1.0' (expected tls1.2 or tls1.3)")
        assertError("storage:\n  filesystem:\n    rootdirectory: /a\n  inmemory:\n",
                    "config.yml:4: storage: more than one storage driver configured (filesystem, inmemory); choose one")
        assertError("storage:\n  filesystem:\n    rootdirectory: ''\n", "config.yml:3: storage.filesystem.rootdirectory: must not be empty")
        assertError("storage:\n  filesystem:\n    rootdirectory: /x\n    maxthreads: many\n", "config.yml:4: storage.filesystem.maxthreads: expected a non-negative integer, found 'many'")
        assertError("storage:\n  cache:\n    blobdescriptor: redis\n", "config.yml:3: storage.cache.blobdescriptor: redis needs redis.addrs (or redis.addr)")
        assertError("storage:\n  cache:\n    blobdescriptor: memcached\n", "config.yml:3: storage.cache.blobdescriptor: unsupported cache 'memcached' (supported: inmemory, redis)")
    }

    func testAddressForms() throws {
        for addr in [":5000", "0.0.0.0:5000", "[::1]:5000", "localhost:0", "[::]:443"] {
            XCTAssertEqual(try load("http:\n  addr: \"\(addr)\"\n").http.addr, addr)
        }
        XCTAssertEqual(ConfigValueParser.listenAddress("[::1]:5000")?.host, "::1")
        XCTAssertNil(ConfigValueParser.listenAddress("::1:5000"))
        XCTAssertNil(ConfigValueParser.listenAddress(":"))
        XCTAssertNil(ConfigValueParser.listenAddress(":99999999999999999999"))
    }

    func testFileLoading() throws {
        let dir = try makeScratchDirectory("wharf-config").url
        let good = dir.appendingPathComponent("good.yml").path
        try "http:\n  addr: :6000\n".write(toFile: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Configuration.load(file: good, environment: [:]).configuration.http.addr, ":6000")

        let bad = dir.appendingPathComponent("bad.yml").path
        try "http:\n  addr: [\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Configuration.load(file: bad, environment: [:])) {
            XCTAssertEqual("\($0)", "\(bad):2: unterminated flow sequence (it must close on the same line)")
        }
        XCTAssertThrowsError(try Configuration.load(file: dir.appendingPathComponent("none.yml").path, environment: [:])) {
            XCTAssertTrue("\($0)".hasSuffix("none.yml: cannot open configuration file: No such file or directory"), "\($0)")
        }
        let big = dir.appendingPathComponent("big.yml").path
        try String(repeating: "#", count: Configuration.maxFileSize + 1).write(toFile: big, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Configuration.load(file: big, environment: [:])) {
            XCTAssertEqual("\($0)", "\(big): larger than 1048576 bytes")
        }
    }
}
