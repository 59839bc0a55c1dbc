import Foundation
import Testing
@testable import WharfStorage

/// The swift driver's parts that need no cluster: parameters, the Keystone v3 request, the
/// catalog choice and temp-URL signatures (the data path runs in the shared driver suite
/// and conformance/test_storage_swift.py against a real Swift).
@Suite("Swift driver")
struct SwiftDriverTests {
    private func configuration(_ extra: [String: String]) throws -> SwiftConfiguration {
        var p = ["authurl": "https://keystone.example:5000/v3/", "container": "registry"]
        p.merge(extra) { $1 }
        return try SwiftConfiguration(parameters: p)
    }

    @Test func parametersAndTheirAliases() throws {
        let c = try configuration(["regionname": "RegionTwo", "rootdirectory": "/a/b/", "tempurlmethods": "get, head",
                                   "endpointtype": "Internal", "tempurlcontainerkey": "true"])
        #expect(c.authURL == "https://keystone.example:5000/v3")
        #expect(c.authVersion == 3)
        #expect(c.region == "RegionTwo")
        #expect(c.prefix == "a/b")
        #expect(c.tempURLMethods == ["GET", "HEAD"])
        #expect(c.endpointType == "internal")
        #expect(c.tempURLContainerKey)
        #expect(c.chunkSize == 20 << 20)
        #expect(try configuration(["authurl": "http://127.0.0.1:9310/auth/v1.0"]).authVersion == 1)
        #expect(try configuration(["authurl": "http://k/v2.0"]).authVersion == 2)
        #expect(try configuration(["authurl": "http://k/v2.0", "authversion": "3"]).authVersion == 3)
    }

    @Test func badParametersNameThemselves() {
        #expect(throws: StorageError.unsupported("storage.swift.container is required")) {
            try SwiftConfiguration(parameters: ["authurl": "http://k/v3"])
        }
        #expect(throws: StorageError.unsupported("storage.swift.authurl: expected an http:// or https:// URL, got \"k/v3\"")) {
            try SwiftConfiguration(parameters: ["authurl": "k/v3", "container": "c"])
        }
        #expect(throws: StorageError.unsupported("storage.swift.authversion: expected 1, 2 or 3, got \"4\"")) {
            try configuration(["authversion": "4"])
        }
    }

    @Test func passwordAndSecretKeyAreSecrets() {
        let secrets = Set(SwiftDriver.registration.parameters.filter(\.isSecret).map(\.name))
        #expect(secrets == ["password", "secretkey", "accesskey"])
        #expect(SwiftDriver.registration.parameters.first { $0.name == "username" }?.environmentVariable(driver: "swift")
                == "REGISTRY_STORAGE_SWIFT_USERNAME")
    }

    @Test func v3BodyScopesToTheProjectInItsDomain() throws {
        let body = SwiftAuthenticator.v3Body(try configuration(["username": "u", "password": "p", "domain": "Default",
                                                                "tenant": "images", "tenantdomainid": "d1"]))
        let auth = body["auth"] as? [String: Any]
        let identity = auth?["identity"] as? [String: Any]
        #expect(identity?["methods"] as? [String] == ["password"])
        let user = (identity?["password"] as? [String: Any])?["user"] as? [String: Any]
        #expect(user?["name"] as? String == "u" && user?["password"] as? String == "p")
        #expect((user?["domain"] as? [String: String]) == ["name": "Default"])
        let project = (auth?["scope"] as? [String: Any])?["project"] as? [String: Any]
        #expect(project?["name"] as? String == "images")
        #expect((project?["domain"] as? [String: String]) == ["id": "d1"])

        let trust = SwiftAuthenticator.v3Body(try configuration(["username": "u", "trustid": "t9", "tenant": "ignored"]))
        #expect(((trust["auth"] as? [String: Any])?["scope"] as? [String: Any])?["OS-TRUST:trust"] as? [String: String] == ["id": "t9"])
    }

    @Test func catalogChoosesRegionAndInterface() throws {
        let v3: [[String: Any]] = [["type": "object-store", "endpoints": [
            ["interface": "public", "region": "One", "url": "https://one-public"],
            ["interface": "internal", "region_id": "Two", "url": "https://two-internal"],
            ["interface": "public", "region": "Two", "url": "https://two-public"]]]]
        #expect(try SwiftCatalog.v3(v3, region: "Two", interface: "internal") == "https://two-internal")
        #expect(try SwiftCatalog.v3(v3, region: "Two", interface: "public") == "https://two-public")
        #expect(try SwiftCatalog.v3(v3, region: nil, interface: "public") == "https://one-public")
        #expect(throws: SwiftError.self) { try SwiftCatalog.v3(v3, region: "Three", interface: "public") }
        let v2: [[String: Any]] = [["type": "object-store", "endpoints": [
            ["region": "One", "publicURL": "https://p1", "internalURL": "https://i1"]]]]
        #expect(try SwiftCatalog.v2(v2, region: "One", interface: "internal") == "https://i1")
    }

    /// Signatures checked against Python's hmac (what Swift's tempurl middleware runs).
    @Test func tempURLSignaturesMatchTheMiddleware() throws {
        let path = "/v1/AUTH_test/c/o"
        #expect(SwiftTempURLSigner(key: "k", digest: .sha256).signature(method: "GET", expires: 1_700_000_000, path: path)
                == "3c4c2bf7e7b478d1912d9d504fe448052fe206ce83dbec296e095d9abc438b27")
        #expect(SwiftTempURLSigner(key: "k", digest: .sha1).signature(method: "GET", expires: 1_700_000_000, path: path)
                == "d06a0797f3c540e6ef3c5c9fb9bf9affbd695f10")
        let url = try SwiftTempURLSigner(key: "k", digest: .sha256).url(
            storageURL: "http://127.0.0.1:9310/v1/AUTH_test", resource: "/c/o", method: "GET", expires: 100,
            now: Date(timeIntervalSince1970: 1_699_999_900))
        #expect(url == "http://127.0.0.1:9310/v1/AUTH_test/c/o?temp_url_sig=3c4c2bf7e7b478d1912d9d504fe448052fe206ce83dbec296e095d9abc438b27&temp_url_expires=1700000000")
    }
}
