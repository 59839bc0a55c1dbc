import XCTest
import WharfConfig

/// `notifications.*` and `redis.*` as distribution's files write them (3.x and 2.8 keys).
final class NotificationsConfigurationTests: XCTestCase {
    func parse(_ text: String, env: [String: String] = [:]) throws -> LoadedConfiguration {
        try Configuration.parse(Data(text.utf8), origin: "t.yml", environment: env)
    }

    /// Each text is refused with an error that contains its message.
    func assertErrors(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (text, message) in cases {
            XCTAssertThrowsError(try parse(text), text, file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) does not say \(message)", file: file, line: line)
            }
        }
    }

    func testDistributionsEndpointExample() throws {
        let c = try parse("""
        notifications:
          events:
            includereferences: true
          endpoints:
            - name: alistener
              disabled: false
              url: https://my.listener.com/event
              headers:
                Authorization: [Bearer abc]
              timeout: 2s
              threshold: 5
              backoff: 3s
              ignoredmediatypes:
                - application/octet-stream
              ignore:
                mediatypes:
                   - application/vnd.oci.image.manifest.v1+json
                actions:
                   - pull
            - name: other
              url: http://127.0.0.1:9/x
              disabled: true
        """).configuration.notifications
        XCTAssertTrue(c.includeReferences)
        XCTAssertEqual(c.endpoints.count, 2)
        let e = c.endpoints[0]
        XCTAssertEqual(e.name, "alistener")
        XCTAssertEqual(e.url, "https://my.listener.com/event")
        XCTAssertEqual(e.headers, ["Authorization": ["Bearer abc"]])
        XCTAssertEqual(e.timeout, 2)
        XCTAssertEqual(e.threshold, 5)
        XCTAssertEqual(e.backoff, 3)
        XCTAssertEqual(e.ignoredMediaTypes, ["application/octet-stream", "application/vnd.oci.image.manifest.v1+json"])
        XCTAssertEqual(e.ignoredActions, ["pull"])
        XCTAssertTrue(c.endpoints[1].disabled)
        XCTAssertEqual(c.endpoints[1].timeout, 1)
        XCTAssertEqual(c.endpoints[1].threshold, 10)
        XCTAssertEqual(c.endpoints[1].queueSize, 1024)
    }

    func testEndpointErrorsNameTheKey() {
        let cases: [(String, String)] = [
            ("notifications:\n  endpoints:\n    - url: http://x/\n", "notifications.endpoints[0].name: required"),
            ("notifications:\n  endpoints:\n    - name: a\n", "notifications.endpoints[0].url: required"),
            ("notifications:\n  endpoints:\n    - name: a\n      url: ftp://x/\n", "expected an absolute http(s) URL"),
            ("notifications:\n  endpoints:\n    - name: a\n      url: http://x/\n      ignore:\n        actions: [fetch]\n", "unknown action 'fetch'"),
            ("notifications:\n  endpoints:\n    - name: a\n      url: http://x/\n      colour: red\n", "notifications.endpoints[0].colour: unknown key"),
            ("notifications:\n  endpoints:\n    - name: a\n      url: http://x/\n    - name: a\n      url: http://y/\n", "used by another endpoint"),
            ("notifications:\n  endpoints: yes\n", "expected a list"),
        ]
        assertErrors(cases)
    }

    func testEndpointsFromTheEnvironment() throws {
        let c = try parse("", env: ["REGISTRY_NOTIFICATIONS_ENDPOINTS": "[]",
                                    "REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES": "true"])
        XCTAssertEqual(c.warnings, [])
        XCTAssertTrue(c.configuration.notifications.includeReferences)
        // The whole list as block YAML in one variable replaces the file's.
        let listed = try parse("notifications:\n  endpoints:\n    - name: file\n      url: http://f/\n",
                               env: ["REGISTRY_NOTIFICATIONS_ENDPOINTS": "- name: env\n  url: http://e:1/x\n  threshold: 2\n"])
        XCTAssertEqual(listed.configuration.notifications.endpoints.map(\.name), ["env"])
        XCTAssertEqual(listed.configuration.notifications.endpoints.first?.threshold, 2)
        // A variable below the list names no key.
        let below = try parse("", env: ["REGISTRY_NOTIFICATIONS_ENDPOINTS_NAME": "x"])
        XCTAssertEqual(below.warnings, ["REGISTRY_NOTIFICATIONS_ENDPOINTS_NAME: not a configuration key, ignored"])
    }

    func testRedisDistribution3Keys() throws {
        let loaded = try parse("""
        storage:
          inmemory: {}
          cache:
            blobdescriptor: redis
        redis:
          tls:
            certificate: /path/to/cert.crt
            key: /path/to/key.pem
            rootcas:
              - /path/to/ca.pem
          addrs: [localhost:6379]
          username: reg
          password: asecret
          db: 2
          dialtimeout: 10ms
          readtimeout: 20ms
          writetimeout: 30ms
          maxidleconns: 16
          poolsize: 64
          connmaxidletime: 300s
          clientname: wharf
        """)
        let r = loaded.configuration.redis
        XCTAssertEqual(loaded.configuration.storage.blobDescriptorCache, "redis")
        XCTAssertEqual(r.addrs, ["localhost:6379"])
        XCTAssertEqual(r.username, "reg")
        XCTAssertEqual(r.password, "asecret")
        XCTAssertEqual(r.db, 2)
        XCTAssertEqual(r.dialTimeout, 0.01, accuracy: 1e-9)
        XCTAssertEqual(r.readTimeout, 0.02, accuracy: 1e-9)
        XCTAssertEqual(r.writeTimeout, 0.03, accuracy: 1e-9)
        XCTAssertEqual(r.maxIdleConns, 16)
        XCTAssertEqual(r.poolSize, 64)
        XCTAssertEqual(r.connMaxIdleTime, 300)
        XCTAssertEqual(r.tls?.rootCAs, ["/path/to/ca.pem"])
        XCTAssertEqual(r.tls?.certificate, "/path/to/cert.crt")
        XCTAssertEqual(loaded.warnings.filter { $0.hasPrefix("redis.clientname: accepted, no effect") }.count, 1)
        let printed = ConfigurationPrinter.yaml(loaded.configuration)
        XCTAssertTrue(printed.contains("*****"))
        XCTAssertFalse(printed.contains("asecret"))
    }

    func testRedis28Keys() throws {
        let r = try parse("""
        redis:
          addr: 10.0.0.1:6380
          password: p
          db: 1
          pool:
            maxidle: 3
            maxactive: 7
            idletimeout: 60s
        """).configuration.redis
        XCTAssertEqual(r.addrs, ["10.0.0.1:6380"])
        XCTAssertEqual(r.maxIdleConns, 3)
        XCTAssertEqual(r.poolSize, 7)
        XCTAssertEqual(r.connMaxIdleTime, 60)
        XCTAssertNil(r.tls)
    }

    func testRedisErrors() {
        let cases: [(String, String)] = [
            ("storage:\n  cache:\n    blobdescriptor: redis\n", "redis needs redis.addrs"),
            ("redis:\n  addrs: [nohostport]\n", "expected host:port"),
            ("redis:\n  addr: a:1\n  db: -1\n", "redis.db: expected a non-negative integer"),
            ("redis:\n  addr: a:1\n  tls:\n    certificate: c\n", "certificate and key must both be set"),
            ("redis:\n  addr: a:1\n  sentinel: x\n", "redis.sentinel: unknown key"),
            ("storage:\n  cache:\n    blobdescriptor: memcached\n", "supported: inmemory, redis"),
        ]
        assertErrors(cases)
    }

    func testPrintedSectionsReadBack() throws {
        let loaded = try parse("""
        notifications:
          endpoints:
            - name: a
              url: http://x:1/e
              headers:
                X-Token: [t1, t2]
              ignore:
                actions: [pull, mount]
        redis:
          addrs: [h:1]
          tls:
            enabled: true
        """)
        let printed = ConfigurationPrinter.yaml(loaded.configuration, maskSecrets: false)
        let again = try parse(printed)
        XCTAssertEqual(again.configuration, loaded.configuration, printed)
    }
}
