import Foundation
import XCTest
@testable import WharfConfig

/// `proxy`: distribution's single form with its variables, and Wharf's `upstreams` list.
final class ProxyConfigurationTests: XCTestCase {
    func testOffByDefault() throws {
        let c = try Configuration.parse(Data(), origin: "t").configuration.proxy
        XCTAssertFalse(c.isEnabled)
    }

    func testSingleFormFromVariables() throws {
        let c = try Configuration.parse(Data(), origin: "t", environment: [
            "REGISTRY_PROXY_REMOTEURL": "https://registry-1.docker.io/",
            "REGISTRY_PROXY_USERNAME": "u", "REGISTRY_PROXY_PASSWORD": "p", "REGISTRY_PROXY_TTL": "24h",
        ]).configuration
        XCTAssertEqual(c.proxy.upstreams, [ProxyConfiguration.Upstream(name: "default", prefix: "", remoteURL: "https://registry-1.docker.io",
                                                                       username: "u", password: "p", ttl: 24 * 3600)])
        let printed = ConfigurationPrinter.yaml(c)
        XCTAssertTrue(printed.contains("remoteurl"))
        XCTAssertFalse(printed.contains("\"p\""), printed)
    }

    func testDefaultTTLIsDistributions() throws {
        let c = try Configuration.parse(Data("proxy:\n  remoteurl: http://up:5000\n".utf8), origin: "t").configuration.proxy
        XCTAssertEqual(c.upstreams.first?.ttl, 168 * 3600)
    }

    func testExpiryInterval() throws {
        var c = try Configuration.parse(Data("proxy:\n  remoteurl: http://up:5000\n".utf8), origin: "t").configuration
        XCTAssertNil(c.proxy.expiryInterval)
        c = try Configuration.parse(Data("proxy:\n  remoteurl: http://up:5000\n".utf8), origin: "t",
                                    environment: ["REGISTRY_PROXY_EXPIRYINTERVAL": "10m"]).configuration
        XCTAssertEqual(c.proxy.expiryInterval, 600)
        XCTAssertTrue(ConfigurationPrinter.yaml(c).contains("expiryinterval"))
        c = try Configuration.parse(Data("proxy:\n  remoteurl: http://up:5000\n  expiryinterval: 0s\n".utf8), origin: "t").configuration
        XCTAssertEqual(c.proxy.expiryInterval, 0)
        XCTAssertThrowsError(try Configuration.parse(Data("proxy:\n  remoteurl: http://up:5000\n  expiryinterval: -1s\n".utf8), origin: "t"))
    }

    func testUpstreamsList() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proxycfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = dir.appendingPathComponent("password").path
        try Data("from-file\n".utf8).write(to: URL(fileURLWithPath: secret))
        let yaml = """
        proxy:
          trustedca: /etc/wharf/trusted-ca
          upstreams:
            - name: hub
              prefix: hub/
              namespace: docker.io
              remoteurl: https://registry-1.docker.io
              ttl: 1h
            - prefix: quay
              remoteurl: https://quay.io
              username: robot
              passwordfile: \(secret)
        """
        let c = try Configuration.parse(Data(yaml.utf8), origin: "t").configuration.proxy
        XCTAssertEqual(c.trustedCA, "/etc/wharf/trusted-ca")
        XCTAssertEqual(c.upstreams.map(\.prefix), ["hub", "quay"])
        XCTAssertEqual(c.upstreams.map(\.name), ["hub", "quay"])
        XCTAssertEqual(c.upstreams[0].namespace, "docker.io")
        XCTAssertEqual(c.upstreams[0].ttl, 3600)
        XCTAssertEqual(c.upstreams[1].password, "from-file")
    }

    func testBadInputIsRefusedWithThePath() throws {
        for (yaml, expected) in [
            ("proxy:\n  remoteurl: ftp://x\n", "proxy.remoteurl"),
            ("proxy:\n  upstreams:\n    - remoteurl: https://a\n", "proxy.upstreams[0].prefix"),
            ("proxy:\n  upstreams:\n    - prefix: a\n      remoteurl: https://a\n      bogus: 1\n", "proxy.upstreams[0].bogus"),
            ("proxy:\n  upstreams:\n    - prefix: a\n      remoteurl: https://a\n    - prefix: a\n      remoteurl: https://b\n", "prefix 'a'"),
            ("proxy:\n  remoteurl: https://a\n  upstreams:\n    - prefix: a\n      remoteurl: https://b\n", "cannot be combined"),
        ] {
            XCTAssertThrowsError(try Configuration.parse(Data(yaml.utf8), origin: "t"), yaml) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)")
            }
        }
    }
}
