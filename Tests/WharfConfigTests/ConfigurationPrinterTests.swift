import XCTest
import WharfConfig

/// The effective configuration as YAML: secrets masked, and what is printed reads back.
final class ConfigurationPrinterTests: XCTestCase {
    func testSecretsAreMaskedAndPathsShown() throws {
        var c = Configuration()
        c.http.secret = "topsecret"
        c.http.tls = Configuration.TLS(certificate: "/tls/crt.pem", key: "/tls/key.pem")
        c.log.fields = ["service": "registry", "apitoken": "abc"]
        let text = ConfigurationPrinter.yaml(c)
        XCTAssertFalse(text.contains("topsecret"), text)
        XCTAssertFalse(text.contains("abc"), text)
        XCTAssertTrue(text.contains("  secret: \"*****\"\n"), text)
        XCTAssertTrue(text.contains("    apitoken: \"*****\"\n"), text)
        XCTAssertTrue(text.contains("    key: /tls/key.pem\n"), text)
        XCTAssertTrue(text.contains("    service: registry\n"), text)
        XCTAssertTrue(ConfigurationPrinter.yaml(c, maskSecrets: false).contains("secret: topsecret"))
    }

    func testSecretKeyNames() {
        for name in ["secret", "secretkey", "accesskey", "accountkey", "password", "Token", "credentials"] {
            XCTAssertTrue(ConfigurationPrinter.isSecretKey(name), name)
        }
        for name in ["keyfile", "credentialsfile", "rootdirectory", "region", "bucket", "keypath"] {
            XCTAssertFalse(ConfigurationPrinter.isSecretKey(name), name)
        }
    }

    func testPrintedConfigurationReadsBackEqual() throws {
        let text = """
        log:
          level: debug
          formatter: json
          fields:
            "odd name": "value: with # specials"
            unicode: "é 😀"
            tilde: "~"
            empty: ""
        http:
          addr: "[::1]:5001"
          host: https://r.example.com
          prefix: /p
          relativeurls: true
          draintimeout: 1h30m
          tls:
            certificate: /c
            key: /k
            minimumtls: tls1.3
          headers:
            X-A: [a, "b c"]
          limits:
            maxheaderbytes: 1KiB
            maxrequestlinebytes: 512
            maxheadercount: 10
            idletimeout: 250ms
            headertimeout: 2m
            maxconnections: 7
            maxbodysize: 5
        storage:
          inmemory:
          delete:
            enabled: true
          maintenance:
            uploadpurging:
              age: 1h
          cache:
            blobdescriptor: inmemory
        """
        let original = try Configuration.parse(Data(text.utf8), origin: "in.yml").configuration
        let printed = ConfigurationPrinter.yaml(original, maskSecrets: false)
        let reread = try Configuration.parse(Data(printed.utf8), origin: "printed.yml").configuration
        XCTAssertEqual(reread, original, printed)
        XCTAssertEqual(ConfigurationPrinter.yaml(reread, maskSecrets: false), printed)
    }

    func testOnlyTheChosenDriversParametersArePrinted() throws {
        var c = Configuration()
        c.storage.driver = .inMemory   // driverParameters still hold the filesystem default
        let printed = ConfigurationPrinter.yaml(c)
        XCTAssertTrue(printed.contains("storage:\n  inmemory: {}\n"), printed)
        XCTAssertEqual(try Configuration.parse(Data(printed.utf8), origin: "p").configuration.storage.driver, .inMemory)
    }

    func testNullsAreWrittenAsNulls() throws {
        let doc = try YAMLReader.parse("a:\nb: ~\nc: \"\"\nd: '~'\ne:\n  -\n  - x\n", origin: "n")
        let text = YAMLWriter.write(doc)
        XCTAssertEqual(text, "a:\nb:\nc: \"\"\nd: \"~\"\ne:\n  -\n  - x\n")
        let back = try YAMLReader.parse(text, origin: "w")
        XCTAssertTrue(back["a"]!.isNull && back["b"]!.isNull)
        XCTAssertFalse(back["c"]!.isNull || back["d"]!.isNull)
        XCTAssertEqual(back["d"]?.scalar, "~")
        XCTAssertTrue(back["e"]!.sequence![0].isNull)
    }

    func testEmptyRootCollections() throws {
        XCTAssertEqual(YAMLWriter.write(try YAMLReader.parse("{}", origin: "e")), "{}\n")
        XCTAssertEqual(YAMLWriter.write(try YAMLReader.parse("[]", origin: "e")), "[]\n")
        XCTAssertEqual(YAMLWriter.write(try YAMLReader.parse("''", origin: "e")), "\"\"\n")
        XCTAssertEqual(YAMLWriter.write(try YAMLReader.parse("'...'", origin: "e")), "\"...\"\n", "a plain ... would end the document")
        XCTAssertEqual(YAMLWriter.write(try YAMLReader.parse("", origin: "e")), "")
    }

    func testDefaultsArePrinted() throws {
        let printed = ConfigurationPrinter.yaml(Configuration())
        XCTAssertTrue(printed.hasPrefix("version: 0.1\nlog:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\nhttp:\n  addr: \":5000\"\n"), printed)
        XCTAssertTrue(printed.contains("storage:\n  filesystem:\n    rootdirectory: ./data\n"), printed)
        XCTAssertEqual(try Configuration.parse(Data(printed.utf8), origin: "p").configuration, Configuration())
    }

    func testWriterQuotesWhatWouldNotReadBack() throws {
        for s in ["", "~", "null", "-x", ":x", "x:", "a: b", "a #b", "[x]", "{}", "'q'", "\"", "tab\there", "line\nbreak", "\u{1}", "\u{85}", " lead", "trail ", "@x", "é"] {
            let node = YAMLNode(.mapping([YAMLEntry(key: s, keyLine: 0, value: YAMLNode(.scalar(s, .doubleQuoted), line: 0, origin: ""))]), line: 0, origin: "")
            let text = YAMLWriter.write(node)
            let back = try YAMLReader.parse(text, origin: "w")
            XCTAssertEqual(back.mapping?.first?.key, s, text)
            XCTAssertEqual(back.mapping?.first?.value.scalar, s, text)
        }
    }
}
