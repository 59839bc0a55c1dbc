import XCTest
import WharfTestSupport

/// `wharf check-config` reads the auth files the configuration names, as `serve` would.
final class CheckConfigAuthTests: XCTestCase {
    private static let bcrypt = "$2y$05$" + String(repeating: "a", count: 53)

    private func checkConfig(_ config: String) throws -> (status: Int32, stderr: String) {
        let path = try makeScratchFile(config, prefix: "wharf-cli", suffix: ".yml")
        let r = try WharfBinary.run(["check-config", path], environment: [:])
        return (r.status, r.stderrText)
    }

    func testWarnsAboutBindingsThatNeverMatch() throws {
        let policy = try makeScratchFile("""
        users:
          - name: alice
            password: "\(Self.bcrypt)"
            groups: [devs]
        bindings:
          - role: registry-editor
            subjects: ["user:alice", "user:bob", "group:devs", "group:ops", "group:system:authenticated"]
        """ + "\n", prefix: "wharf-policy", suffix: ".yml")
        let r = try checkConfig("storage:\n  inmemory: {}\nauth:\n  openshift:\n    policy: \(policy)\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, """
        warning: bindings[0] (registry-editor): 'user:bob' names no user in the policy file; it never matches
        warning: bindings[0] (registry-editor): 'group:ops' is a group no user is in; it never matches

        """)
    }

    func testRefusesAPolicyFileServeWouldRefuse() throws {
        let missing = try checkConfig("storage:\n  inmemory: {}\nauth:\n  openshift:\n    policy: /nonexistent/policy.yml\n")
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "auth.openshift.policy: /nonexistent/policy.yml: cannot open policy file: No such file or directory\n")
        let policy = try makeScratchFile("bindings:\n  - role: registry-wizard\n    subjects: [\"user:a\"]\n",
                                         prefix: "wharf-policy", suffix: ".yml")
        let bad = try checkConfig("storage:\n  inmemory: {}\nauth:\n  openshift:\n    policy: \(policy)\n")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("auth.openshift.policy: \(policy):2: bindings[0].role: unknown role 'registry-wizard'"), bad.stderr)
    }

    func testReadsTheHtpasswdFile() throws {
        let good = try makeScratchFile("alice:\(Self.bcrypt)\n", prefix: "wharf-htpasswd", suffix: "")
        let ok = try checkConfig("storage:\n  inmemory: {}\nauth:\n  htpasswd:\n    realm: r\n    path: \(good)\n")
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stderr, "")
        let md5 = try makeScratchFile("alice:$apr1$abc$def\n", prefix: "wharf-htpasswd", suffix: "")
        let weak = try checkConfig("storage:\n  inmemory: {}\nauth:\n  htpasswd:\n    realm: r\n    path: \(md5)\n")
        XCTAssertEqual(weak.status, 2)
        XCTAssertEqual(weak.stderr, "auth.htpasswd.path: \(md5):1: only bcrypt entries are supported (htpasswd -B)\n")
        let missing = try checkConfig("storage:\n  inmemory: {}\nauth:\n  htpasswd:\n    realm: r\n    path: /nonexistent/htpasswd\n")
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "auth.htpasswd.path: /nonexistent/htpasswd: cannot open htpasswd file: No such file or directory\n")
    }
}
