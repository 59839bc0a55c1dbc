import Foundation
import WharfAuth
import WharfConfig
import XCTest

/// The policy file: parsing errors with file and line, and what each role allows.
final class AccessPolicyTests: XCTestCase {
    let hash = String(repeating: "ab", count: 32)

    func parse(_ text: String) throws -> AccessPolicy {
        try AccessPolicy.parse(Data(text.utf8), origin: "policy.yml")
    }

    func testParsesUsersAndBindings() throws {
        let p = try parse("""
        users:
          - name: alice
            tokens: ["sha256:\(hash)"]
            groups: [devs]
        bindings:
          - role: registry-editor
            subjects: ["group:devs"]
            projects: ["myproject"]
          - role: prometheus-scraper
            subjects: ["user:prom"]
        """)
        XCTAssertEqual(p.user(withTokenHash: hash)?.name, "alice")
        XCTAssertEqual(p.bindings[1].projects, ["*"])
        let alice = Identity(user: "alice", groups: ["devs"])
        XCTAssertEqual(p.verbs(for: alice, project: "myproject"), [.pull, .push])
        XCTAssertEqual(p.verbs(for: alice, project: "other"), [])
        XCTAssertEqual(p.verbs(for: Identity(user: "prom", groups: []), project: nil), [.metrics])
    }

    func testErrorsNameFileAndLine() {
        let cases: [(String, Int, String)] = [
            ("users:\n  - name: a\n    tokens: [\"abc\"]\n", 3, "sha256:"),
            ("users:\n  - name: a\n    colour: red\n", 3, "unknown key"),
            ("bindings:\n  - role: registry-owner\n    subjects: [\"user:a\"]\n", 2, "unknown role"),
            ("bindings:\n  - role: registry-viewer\n    subjects: [\"bob\"]\n", 3, "user:NAME"),
            ("bindings:\n  - role: registry-viewer\n", 2, "subjects: missing"),
            ("users:\n  - name: a\n  - name: a\n", 3, "twice"),
            ("users:\n  - name: \"a:b\"\n", 2, "no ':'"),
            ("users:\n  - name: a\n    password: plain\n", 3, "bcrypt"),
            ("groups: []\n", 1, "unknown key"),
            ("users:\n\t- name: a\n", 2, "tab"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                guard let e = error as? YAMLError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.origin, "policy.yml")
                XCTAssertEqual(e.line, line, text)
                XCTAssertTrue(e.description.contains(fragment), "\(e.description) lacks \(fragment)")
                XCTAssertTrue(e.description.hasPrefix("policy.yml:\(line)"), e.description)
            }
        }
    }

    /// Role × verb: exactly the verbs each role grants, on its project and on `*`.
    func testRoleVerbTable() throws {
        let expected: [(Role, Set<AccessVerb>, Set<AccessVerb>)] = [
            (.registryViewer, [.pull], []),
            (.registryEditor, [.pull, .push], []),
            (.imageBuilder, [.pull, .push], []),
            (.registryAdmin, [.pull, .push, .delete], [.catalog, .metrics, .admin]),
            (.prometheusScraper, [], [.metrics]),
        ]
        for (role, projectVerbs, globalOnStar) in expected {
            let onProject = try AccessPolicy(users: [], bindings: [RoleBinding(role: role, subjects: ["user:u"], projects: ["p"])])
            let onAll = try AccessPolicy(users: [], bindings: [RoleBinding(role: role, subjects: ["user:u"], projects: ["*"])])
            let u = Identity(user: "u", groups: [])
            XCTAssertEqual(onProject.verbs(for: u, project: "p"), projectVerbs, role.rawValue)
            XCTAssertEqual(onProject.verbs(for: u, project: "q"), [], role.rawValue)
            XCTAssertEqual(onAll.verbs(for: u, project: "q"), projectVerbs, role.rawValue)
            XCTAssertEqual(onAll.verbs(for: u, project: nil), globalOnStar, role.rawValue)
            XCTAssertEqual(onProject.verbs(for: u, project: nil), role == .prometheusScraper ? [.metrics] : [], role.rawValue)
            XCTAssertEqual(onAll.verbs(for: Identity(user: "v", groups: []), project: "p"), [], "other users get nothing")
        }
    }

    func testBuiltInGroups() throws {
        let p = try AccessPolicy(users: [], bindings: [
            RoleBinding(role: .registryViewer, subjects: ["group:system:unauthenticated"], projects: ["public"]),
            RoleBinding(role: .registryViewer, subjects: ["group:system:authenticated"], projects: ["shared"]),
        ])
        XCTAssertEqual(p.verbs(for: .anonymous, project: "public"), [.pull])
        XCTAssertEqual(p.verbs(for: .anonymous, project: "shared"), [])
        XCTAssertEqual(p.verbs(for: Identity(user: "x", groups: []), project: "shared"), [.pull])
        XCTAssertEqual(p.verbs(for: Identity(user: "x", groups: []), project: "public"), [])
    }
}
