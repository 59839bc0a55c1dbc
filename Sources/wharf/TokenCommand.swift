import Foundation
import WharfCrypto

/// `wharf token new USER`: makes a random API token and prints it with the policy line
/// that stores its hash (the policy file never holds the token itself).
enum TokenCommand: WharfCommand {
    static let name = "token"
    static let summary = "Make a new API token for a policy user"
    static let usage = """
    Usage: wharf token new USER

    Prints a new random API token for USER, then the line to add under USER in the
    policy file (auth.openshift.policy), which stores only the token's SHA-256:
        tokens: ["sha256:<hex>"]
    Clients use the token as a password: podman login -u USER -p TOKEN.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, positionals: 2...2) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        guard parsed.positionals[0] == "new" else {
            Console.err("wharf token: unknown subcommand '\(parsed.positionals[0])'\n\n\(usage)")
            return ExitCode.usage
        }
        let user = parsed.positionals[1]
        guard !user.isEmpty, !user.contains(":"), !user.contains("\"") else {
            Console.err("wharf token: a user name must be non-empty and contain no ':' or '\"'")
            return ExitCode.usage
        }
        let token = "wharf_" + Base64URL.encode(SecureRandom.bytes(32))
        let hash = DigestHasher.hex(Data(token.utf8))
        Console.out(token)
        Console.out("# policy file, under users: - name: \(user)\ntokens: [\"sha256:\(hash)\"]")
        return ExitCode.success
    }
}
