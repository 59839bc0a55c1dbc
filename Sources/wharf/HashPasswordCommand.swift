import Foundation
import WharfAuth

/// `wharf hash-password`: reads a password from stdin and prints its bcrypt hash, for a
/// policy user's `password:` or an htpasswd line.
enum HashPasswordCommand: WharfCommand {
    static let name = "hash-password"
    static let summary = "Print the bcrypt hash of a password read from stdin"
    static let usage = """
    Usage: wharf hash-password [--cost N]

    Reads one password line from standard input and prints its bcrypt hash ($2b$,
    cost N, default 10) with a random salt, e.g. for the policy file's `password:`
    or an htpasswd entry `user:<hash>`. On a terminal it prompts (on stderr) and
    reads the password twice without echoing it; piped input is read as one line.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, valued: ["--cost"], positionals: 0...0) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        var cost = 10
        if let v = parsed.values["--cost"] {
            guard let n = Int(v), (4...31).contains(n) else {
                Console.err("wharf hash-password: --cost must be between 4 and 31")
                return ExitCode.usage
            }
            cost = n
        }
        let line = TerminalPrompt.isInteractive ? TerminalPrompt.readSecret("Password: ") : readLine(strippingNewline: true)
        guard var password = line else {
            Console.err("wharf hash-password: no password on standard input")
            return ExitCode.usage
        }
        if password.hasSuffix("\r") { password.removeLast() }
        if TerminalPrompt.isInteractive, !password.isEmpty {
            guard let again = TerminalPrompt.readSecret("Again: "), again == password else {
                Console.err("wharf hash-password: the passwords differ")
                return ExitCode.usage
            }
        }
        guard !password.isEmpty else {
            Console.err("wharf hash-password: empty password")
            return ExitCode.usage
        }
        do {
            Console.out(try BcryptPassword.hash(password, cost: cost))
            return ExitCode.success
        } catch {
            Console.err("wharf hash-password: \(error)")
            return ExitCode.failure
        }
    }
}
