import Foundation
import XCTest
import WharfConfig

/// Keys of distribution's and OpenShift's references: honoured, accepted with one warning
/// each, or refused with the reason.
final class ReferenceKeysTests: XCTestCase {
    private func parse(_ text: String, _ env: [String: String] = [:]) throws -> LoadedConfiguration {
        try Configuration.parse(Data(text.utf8), origin: "config.yml", environment: env)
    }

    func testKeysWithNoEffectWarnOncePerKey() throws {
        let loaded = try parse("""
        reporting:
          bugsnag:
            apikey: k
            endpoint: e
        middleware:
          registry:
            - name: A
              options:
                foo: bar
                nested:
                  a: [1, 2]
        log:
          hooks:
            - type: mail
              levels: [panic]
              options:
                smtp:
                  addr: "mail:25"
                to: [a@b]
        openshift:
          quota:
            enabled: true
            cachettl: 1m
          pullthrough:
            enabled: true
            mirror: true

        """)
        XCTAssertEqual(loaded.warnings.count, 5, "\(loaded.warnings)")
        XCTAssertTrue(loaded.warnings.contains { $0.hasPrefix("reporting: accepted, no effect: ") })
        XCTAssertTrue(loaded.warnings.contains { $0.hasPrefix("middleware: accepted, no effect: ") })
        XCTAssertTrue(loaded.warnings.contains { $0.hasPrefix("log.hooks: accepted, no effect: ") })
        XCTAssertTrue(loaded.warnings.contains { $0.hasPrefix("openshift.quota: accepted, no effect: ") })
        XCTAssertTrue(loaded.warnings.contains { $0.contains("openshift.pullthrough") && $0.contains("proxy.upstreams") })
        // Inside an accepted section, keys are still checked.
        XCTAssertThrowsError(try parse("reporting:\n  bugsnag:\n    apikee: k\n")) {
            XCTAssertTrue("\($0)".contains("reporting.bugsnag.apikee: unknown key"), "\($0)")
        }
    }

    func testVariablesOfKeysWithNoEffectWarnAsKeys() throws {
        let loaded = try parse("", ["REGISTRY_OPENSHIFT_QUOTA_ENABLED": "true", "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTORSIZE": "10000"])
        XCTAssertEqual(loaded.warnings.count, 2, "\(loaded.warnings)")
        XCTAssertFalse(loaded.warnings.contains { $0.contains("not a configuration key") }, "\(loaded.warnings)")
    }

    func testUnsafeAuthSchemesAreRefused() {
        XCTAssertThrowsError(try parse("auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    rootcertbundle: /b\n")) {
            XCTAssertTrue("\($0)".contains("auth.token: not supported"), "\($0)")
        }
        XCTAssertThrowsError(try parse("auth:\n  silly:\n    realm: r\n")) { XCTAssertTrue("\($0)".contains("auth.silly: not supported"), "\($0)") }
    }

    func testOpenShiftAuthWithoutPolicyIsValidAndTheVariableGivesIt() throws {
        let bare = try parse("auth:\n  openshift: {}\nopenshift:\n  version: 1.0\n  auth:\n    realm: openshift-realm\n    tokenrealm: https://tokens.example:5000\n")
        XCTAssertNil(bare.configuration.auth.openshift?.policy)
        XCTAssertEqual(bare.configuration.auth.openshift?.realm, "openshift-realm")
        XCTAssertEqual(bare.configuration.auth.openshift?.tokenRealm, "https://tokens.example:5000")
        XCTAssertTrue(bare.warnings.contains { $0.contains("REGISTRY_AUTH_OPENSHIFT_POLICY") }, "\(bare.warnings)")
        let given = try parse("auth:\n  openshift: {}\n", ["REGISTRY_AUTH_OPENSHIFT_POLICY": "/etc/wharf/policy.yml"])
        XCTAssertEqual(given.configuration.auth.openshift?.policy, "/etc/wharf/policy.yml")
        XCTAssertEqual(given.warnings, [])
        // auth.openshift's own realm wins over openshift.auth.realm.
        let both = try parse("auth:\n  openshift:\n    policy: /p\n    realm: own\nopenshift:\n  auth:\n    realm: other\n")
        XCTAssertEqual(both.configuration.auth.openshift?.realm, "own")
        XCTAssertThrowsError(try parse("openshift:\n  version: 2.0\n")) { XCTAssertTrue("\($0)".contains("openshift.version: unsupported"), "\($0)") }
    }

    func testMetricsNobodyCanReadWarns() throws {
        let open = try parse("openshift:\n  metrics:\n    enabled: true\n")
        XCTAssertTrue(open.warnings.contains { $0.contains("nobody can read") }, "\(open.warnings)")
        XCTAssertEqual(try parse("openshift:\n  metrics:\n    enabled: true\n    secret: s\n").warnings, [])
        XCTAssertEqual(try parse("openshift:\n  metrics:\n    enabled: true\nauth:\n  openshift:\n    policy: /p\n").warnings, [])
    }

    func testHealthChecks() throws {
        let c = try parse("""
        health:
          storagedriver:
            enabled: true
            interval: 2s
            threshold: 3
          file:
            - file: /tmp/down
              interval: 1s
          http:
            - uri: http://127.0.0.1:9/ok
              headers:
                Authorization: [Basic abc]
              statuscode: 204
              timeout: 3s
          tcp:
            - addr: 127.0.0.1:6379
              threshold: 2

        """).configuration.health
        XCTAssertEqual(c.storageDriver?.interval, 2)
        XCTAssertEqual(c.storageDriver?.threshold, 3)
        XCTAssertEqual(c.files.map(\.file), ["/tmp/down"])
        XCTAssertEqual(c.files.first?.periodic.interval, 1)
        XCTAssertEqual(c.http.first?.statusCode, 204)
        XCTAssertEqual(c.http.first?.headers["Authorization"], ["Basic abc"])
        XCTAssertEqual(c.http.first?.periodic.timeout, 3)
        XCTAssertEqual(c.tcp.first?.addr, "127.0.0.1:6379")
        XCTAssertEqual(c.tcp.first?.periodic.threshold, 2)
        var whole = Configuration()
        whole.health = c
        let printed = ConfigurationPrinter.yaml(whole, maskSecrets: false)
        XCTAssertEqual(try Configuration.parse(Data(printed.utf8), origin: "p").configuration.health, c, printed)
        XCTAssertTrue(ConfigurationPrinter.yaml(whole).contains("Authorization:\n          - \"*****\""), ConfigurationPrinter.yaml(whole))
        XCTAssertNil(try parse("health:\n  storagedriver:\n    enabled: false\n").configuration.health.storageDriver)
        XCTAssertThrowsError(try parse("health:\n  file:\n    - interval: 1s\n")) { XCTAssertTrue("\($0)".contains("health.file[0].file: required"), "\($0)") }
        XCTAssertThrowsError(try parse("health:\n  file:\n    - file: /x\n      intervall: 1s\n")) {
            XCTAssertTrue("\($0)".contains("health.file[0].intervall: unknown key"), "\($0)")
        }
        XCTAssertThrowsError(try parse("health:\n  tcp:\n    - addr: :6379\n")) { XCTAssertTrue("\($0)".contains("expected host:port"), "\($0)") }
        // One item of a list by its index, as distribution names them.
        let indexed = try parse("health:\n  file:\n    - file: /a\n    - file: /b\n", [
            "REGISTRY_HEALTH_FILE_1_FILE": "/b2", "REGISTRY_HEALTH_FILE_2_FILE": "/c",
            "REGISTRY_HTTP_TLS_CERTIFICATE": "/crt", "REGISTRY_HTTP_TLS_KEY": "/key",
            "REGISTRY_HTTP_TLS_CLIENTCAS_0": "/ca0.pem", "REGISTRY_HTTP_TLS_CLIENTCAS_1": "/ca1.pem",
        ])
        XCTAssertEqual(indexed.configuration.health.files.map(\.file), ["/a", "/b2", "/c"])
        XCTAssertEqual(indexed.configuration.http.tls?.clientCAs, ["/ca0.pem", "/ca1.pem"])
        XCTAssertEqual(indexed.warnings, [])
        XCTAssertTrue(try parse("", ["REGISTRY_HEALTH_FILE_X_FILE": "/x"]).warnings.contains { $0.contains("not a configuration key") })
        // A list is given whole, as YAML, in its variable.
        let env = try parse("", ["REGISTRY_HEALTH_FILE": "- file: /var/run/down\n"]).configuration.health
        XCTAssertEqual(env.files.map(\.file), ["/var/run/down"])
    }

    func testDebugServerAndSmallKeys() throws {
        let c = try parse("""
        log:
          formatter: logstash
          accesslog:
            disabled: true
        http:
          net: tcp
          debug:
            addr: localhost:5001
            prometheus:
              enabled: true
              path: /prom
          tls:
            certificate: /c
            key: /k
            clientcas: [/ca1.pem, /ca2.pem]
            clientauth: require-and-verify-client-cert
            ciphersuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
        storage:
          tag:
            concurrencylimit: 3

        """).configuration
        XCTAssertEqual(c.log.formatter, .logstash)
        XCTAssertTrue(c.log.accessLogDisabled)
        XCTAssertEqual(c.http.debug?.addr, "localhost:5001")
        XCTAssertEqual(c.http.debug?.prometheusEnabled, true)
        XCTAssertEqual(c.http.debug?.prometheusPath, "/prom")
        XCTAssertEqual(c.http.tls?.clientCAs, ["/ca1.pem", "/ca2.pem"])
        XCTAssertEqual(c.storage.tagConcurrencyLimit, 3)
        let lists = TLSCipherSuites.openSSLLists(c.http.tls?.cipherSuites ?? [])
        XCTAssertEqual(lists.tls12, "ECDHE-RSA-AES128-GCM-SHA256")
        XCTAssertEqual(lists.tls13, "TLS_AES_128_GCM_SHA256")
        XCTAssertEqual(try parse("http:\n  debug:\n    prometheus:\n      enabled: true\n").warnings,
                       ["http.debug.prometheus: no effect without http.debug.addr (the debug listener serves it)"])
        XCTAssertThrowsError(try parse("http:\n  net: unix\n")) { XCTAssertTrue("\($0)".contains("http.net: 'unix' is not supported"), "\($0)") }
        XCTAssertThrowsError(try parse("http:\n  tls:\n    certificate: /c\n    key: /k\n    ciphersuites: [TLS_NOPE]\n")) {
            XCTAssertTrue("\($0)".contains("unknown suite 'TLS_NOPE'"), "\($0)")
        }
        XCTAssertThrowsError(try parse("http:\n  tls:\n    clientcas: [/ca]\n")) { XCTAssertTrue("\($0)".contains("need certificate and key"), "\($0)") }
        XCTAssertEqual(c.http.tls?.clientCertificateRequired, true)
        let optional = try parse("http:\n  tls:\n    certificate: /c\n    key: /k\n    clientcas: [/ca]\n    clientauth: verify-client-cert-if-given\n")
        XCTAssertEqual(optional.configuration.http.tls?.clientCertificateRequired, false)
        XCTAssertEqual(optional.warnings, [])
        XCTAssertThrowsError(try parse("http:\n  tls:\n    letsencrypt:\n      email: a@b\n")) {
            XCTAssertTrue("\($0)".contains("would serve plain HTTP"), "\($0)")
        }
        XCTAssertThrowsError(try parse("storage:\n  tag:\n    concurrencylimit: 0\n"))
        // A mis-indented key of a new section is placed.
        XCTAssertThrowsError(try parse("http:\n  prometheus:\n    enabled: true\n")) {
            XCTAssertTrue("\($0)".contains("'prometheus' belongs under http.debug"), "\($0)")
        }
        XCTAssertThrowsError(try parse("health:\n  statuscode: 200\n")) {
            XCTAssertTrue("\($0)".contains("'statuscode' belongs under health.http"), "\($0)")
        }
        // What check-config prints reads back to the same configuration.
        let printed = ConfigurationPrinter.yaml(c, maskSecrets: false)
        XCTAssertEqual(try Configuration.parse(Data(printed.utf8), origin: "p").configuration, c, printed)
    }

    func testGCSCredentialsAsDistributionsMappingReachTheDriverAsJSON() throws {
        let c = try parse("""
        storage:
          gcs:
            bucket: b
            credentials:
              type: service_account
              project_id: p
              client_email: wharf@p.iam.gserviceaccount.com
              private_key: "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----\\n"

        """).configuration
        let json = try XCTUnwrap(c.storage.driverParameters["credentials"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        XCTAssertEqual(object["type"], "service_account")
        XCTAssertEqual(object["client_email"], "wharf@p.iam.gserviceaccount.com")
        XCTAssertTrue(object["private_key"]?.hasPrefix("-----BEGIN PRIVATE KEY-----") ?? false)
        XCTAssertThrowsError(try parse("storage:\n  gcs:\n    bucket: b\n    credentials:\n      typ: x\n")) {
            XCTAssertTrue("\($0)".contains("storage.gcs.credentials.typ: unknown key"), "\($0)")
        }
    }
}
