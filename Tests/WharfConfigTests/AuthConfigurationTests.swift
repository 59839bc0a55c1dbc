import Foundation
import WharfConfig
import XCTest

/// `auth.openshift` and `auth.htpasswd`, from the file and from REGISTRY_AUTH_* variables.
final class AuthConfigurationTests: XCTestCase {
    func load(_ text: String, env: [String: String] = [:]) throws -> Configuration {
        try Configuration.parse(Data(text.utf8), origin: "config.yml", environment: env).configuration
    }

    func testOpenShiftSection() throws {
        let c = try load("""
        auth:
          openshift:
            realm: wharf
            tokenrealm: https://registry.example:8443
            policy: /etc/wharf/policy.yml
            strictnames: false
            tokenexpiration: 10m
        """)
        let o = try XCTUnwrap(c.auth.openshift)
        XCTAssertEqual(o.realm, "wharf")
        XCTAssertEqual(o.tokenRealm, "https://registry.example:8443")
        XCTAssertEqual(o.policy, "/etc/wharf/policy.yml")
        XCTAssertFalse(o.strictNames)
        XCTAssertEqual(o.tokenExpiration, 600)
        XCTAssertNil(c.auth.htpasswd)
    }

    func testEnvironmentVariables() throws {
        let c = try load("", env: ["REGISTRY_AUTH_OPENSHIFT_POLICY": "/p.yml", "REGISTRY_AUTH_OPENSHIFT_STRICTNAMES": "false"])
        XCTAssertEqual(c.auth.openshift?.policy, "/p.yml")
        XCTAssertEqual(c.auth.openshift?.strictNames, false)
        XCTAssertEqual(c.auth.openshift?.realm, "openshift")
    }

    func testHtpasswdAllOrNothingAndOneScheme() throws {
        let c = try load("auth:\n  htpasswd:\n    realm: basic\n    path: /h\n")
        XCTAssertEqual(c.auth.htpasswd, Configuration.Htpasswd(realm: "basic", path: "/h"))
        let bad: [(String, String)] = [
            ("auth:\n  htpasswd:\n    realm: basic\n", "realm and path must both be set"),
            ("auth:\n  openshift:\n    policy: /p\n  htpasswd:\n    realm: r\n    path: /h\n", "choose one"),
            ("auth:\n  openshift:\n    policy: /p\n    tokenrealm: ftp://x\n", "tokenrealm"),
            ("auth:\n  token:\n    realm: x\n", "auth.token: not supported: tokens from an external token server"),
            ("auth:\n  silly:\n    realm: x\n", "auth.silly: not supported"),
        ]
        for (text, fragment) in bad {
            XCTAssertThrowsError(try load(text), text) { XCTAssertTrue("\($0)".contains(fragment), "\($0)") }
        }
    }
}

/// check-config shows the auth section and it reads back.
final class AuthConfigurationPrinterTests: XCTestCase {
    func testPrintedAndReadBack() throws {
        var c = Configuration()
        var o = Configuration.OpenShift(policy: "/p.yml")
        o.signingKey = "topsecret"
        c.auth.openshift = o
        let text = ConfigurationPrinter.yaml(c)
        XCTAssertTrue(text.contains("policy: \"/p.yml\"") || text.contains("policy: /p.yml"), text)
        XCTAssertFalse(text.contains("topsecret"))
        let back = try Configuration.parse(Data(ConfigurationPrinter.yaml(c, maskSecrets: false).utf8), origin: "x").configuration
        XCTAssertEqual(back.auth, c.auth)
    }
}
