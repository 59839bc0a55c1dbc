import Foundation
import WharfFuzzing
import WharfAuth

// Run: Tests/Fuzz/run.sh policy 600. Replay: swift run wharf-fuzz-policy FILE|DIRECTORY

/// Feeds the bytes to the policy-file parser (YAML, then users and bindings). Beyond "no
/// crash": a policy that loads has unique, non-empty user names without `:`, finds each of
/// its users by name, binds only `user:`/`group:` subjects, and answering an access question
/// for every user and an anonymous caller on a few projects never traps.
func fuzzPolicy(_ bytes: [UInt8]) {
    guard let policy = try? AccessPolicy.parse(Data(bytes), origin: "fuzz-policy.yml") else { return }
    var seen: Set<String> = []
    for user in policy.users {
        guard !user.name.isEmpty, !user.name.contains(":"), seen.insert(user.name).inserted,
              policy.user(named: user.name) == user else {
            fatalError("loaded policy has a bad or duplicate user \(user.name.debugDescription)")
        }
        for hash in user.tokenHashes where policy.user(withTokenHash: hash)?.name != user.name {
            fatalError("token hash of \(user.name) does not find its user")
        }
    }
    for binding in policy.bindings {
        for s in binding.subjects where !(s.hasPrefix("user:") || s.hasPrefix("group:")) {
            fatalError("binding subject \(s.debugDescription) accepted")
        }
    }
    let identities = policy.users.map { Identity(user: $0.name, groups: $0.groups) } + [Identity.anonymous]
    for identity in identities {
        for project in [nil, "p", "*", "library"] as [String?] { _ = policy.verbs(for: identity, project: project) }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzPolicy(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_policy_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct PolicyFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-policy", fuzzPolicy) }
}
#endif
