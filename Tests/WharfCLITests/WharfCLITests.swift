import XCTest
import WharfConfig
import WharfTestSupport

/// Runs the built `wharf` binary (next to the test bundle in .build/debug) as a user would.
final class WharfCLITests: XCTestCase {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let r = try WharfBinary.run(arguments, environment: environment)
        return Outcome(status: r.status, stdout: r.stdoutText, stderr: r.stderrText)
    }

    private func temporaryFile(_ text: String) throws -> String {
        try makeScratchFile(text, prefix: "wharf-cli", suffix: ".yml")
    }

    func testVersion() throws {
        let r = try run(["version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, BuildInfo.versionLine + "\n")
        XCTAssertTrue(r.stdout.hasPrefix("wharf 0.1.0"))
    }

    func testHelpListsEveryCommand() throws {
        for args in [["--help"], ["-h"], ["help"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0, "\(args)")
            for command in ["serve", "check-config", "version", "help"] {
                XCTAssertTrue(r.stdout.contains("  \(command) "), "\(args): \(r.stdout)")
            }
        }
        let serveHelp = try run(["serve", "--help"])
        XCTAssertEqual(serveHelp.status, 0)
        XCTAssertTrue(serveHelp.stdout.hasPrefix("Usage: wharf serve [CONFIG]"), serveHelp.stdout)
        XCTAssertEqual(try run(["help", "check-config"]).stdout.hasPrefix("Usage: wharf check-config FILE"), true)
    }

    func testUnknownCommandAndBadUsage() throws {
        let r = try run(["frobnicate"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.hasPrefix("wharf: unknown command 'frobnicate'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("Usage: wharf <command>"), r.stderr)
        XCTAssertEqual(try run([]).status, 2)
        let extra = try run(["version", "extra"])
        XCTAssertEqual(extra.status, 2)
        XCTAssertTrue(extra.stderr.hasPrefix("wharf version: unexpected argument 'extra'"), extra.stderr)
        let missing = try run(["check-config"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("wharf check-config: missing argument"), missing.stderr)
        XCTAssertTrue(try run(["serve", "--bogus"]).stderr.hasPrefix("wharf serve: unknown option --bogus"))
    }

    func testCheckConfigGoodFileMasksSecrets() throws {
        let path = try temporaryFile("http:\n  addr: :5001\n  secret: hunter2\nstorage:\n  inmemory: {}\n")
        let r = try run(["check-config", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertTrue(r.stdout.contains("  addr: \":5001\"\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  secret: \"*****\"\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("hunter2"))
        XCTAssertTrue(r.stdout.contains("storage:\n  inmemory: {}\n"), r.stdout)
    }

    func testCheckConfigAppliesEnvironmentAndWarns() throws {
        let path = try temporaryFile("version: 0.1\n")
        let r = try run(["check-config", path], environment: ["REGISTRY_HTTP_ADDR": ":7000", "REGISTRY_HTTP_ADRR": "x"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("  addr: \":7000\"\n"), r.stdout)
        XCTAssertEqual(r.stderr, "warning: REGISTRY_HTTP_ADRR: not a configuration key, ignored\n")
    }

    func testCheckConfigBadFile() throws {
        let path = try temporaryFile("http:\n  addr: :5000\n  adr: :5001\n")
        let r = try run(["check-config", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "\(path):3: http.adr: unknown key (did you mean 'addr'?)\n")

        let missing = try run(["check-config", "/nonexistent/wharf.yml"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "/nonexistent/wharf.yml: cannot open configuration file: No such file or directory\n")
        let directory = try makeScratchDirectory("wharf-cli-dir").url.path
        let unreadable = try run(["check-config", directory])
        XCTAssertEqual(unreadable.status, 2)
        XCTAssertEqual(unreadable.stderr, "\(directory): cannot read configuration file: Is a directory\n")
    }

    func testCheckConfigReportsEveryErrorWithHints() throws {
        let path = try temporaryFile("""
        http:
          adr: :5001
          draintimeout: soon
        storage:
          filesystem:
          rootdirectory: /srv/registry
        log:
          level: loud
        """ + "\n")
        let r = try run(["check-config", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let expected = [
            "\(path):2: http.adr: unknown key (did you mean 'addr'?)",
            "\(path):3: http.draintimeout: invalid duration 'soon' (expected e.g. 30s, 2m, 1h30m)",
            // Every driver with a rootdirectory is named; the filesystem comes first.
            "\(path):6: storage.rootdirectory: unknown key ('rootdirectory' belongs under storage.filesystem or storage.s3",
            "\(path):8: log.level: unknown level 'loud' (expected \(Configuration.acceptedLogLevels))",
        ]
        XCTAssertEqual(lines.count, expected.count, r.stderr)
        for (line, prefix) in zip(lines, expected) { XCTAssertTrue(line.hasPrefix(prefix), "\(line)\nexpected: \(prefix)") }
    }

    func testServeRefusesAStorageRootItCannotWrite() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to run wharf as an unprivileged user")
        }
        let root = try makeScratchDirectory("wharf-cli-root").url.path
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root)
        let path = try temporaryFile("http:\n  addr: 127.0.0.1:0\nstorage:\n  filesystem:\n    rootdirectory: \(root)/registry\n")
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", try WharfBinary.url().path]
        let r = try ProcessLauncher.run("/usr/bin/setpriv", asNobody + ["serve", path], environment: ["PATH": "/usr/bin:/bin"], timeout: 20)
        XCTAssertEqual(r.status, 1, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("storage root \(root)/registry is not writable by user "), r.stderrText)
        XCTAssertTrue(r.stderrText.contains("(uid 65534, gid 65534): \(root): Permission denied"), r.stderrText)
    }

    func testServeRefusesBadConfigurationWithExit2() throws {
        let path = try temporaryFile("storage:\n  oss:\n    bucket: x\n")
        let r = try run(["serve", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(":2: storage.oss: storage driver 'oss' is not supported yet"), r.stderr)
        let env = try run(["serve"], environment: ["REGISTRY_HTTP_ADDR": "bad"])
        XCTAssertEqual(env.status, 2)
        XCTAssertTrue(env.stderr.hasPrefix("$REGISTRY_HTTP_ADDR: http.addr: invalid address"), env.stderr)
    }
}
