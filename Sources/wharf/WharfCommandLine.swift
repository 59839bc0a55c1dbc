import Foundation

/// The `wharf` executable: picks the command named by the first argument.
@main
struct WharfCommandLine {
    /// Every command, in the order `wharf --help` lists them.
    static let commands: [WharfCommand.Type] = [
        ServeCommand.self,
        GarbageCollectCommand.self,
        PruneCommand.self,
        ScrubCommand.self,
        CheckConfigCommand.self,
        TokenCommand.self,
        HashPasswordCommand.self,
        VersionCommand.self,
        HelpCommand.self,
    ]

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        exit(await run(arguments))
    }

    /// Runs the command line `arguments` (without the program name); returns the exit code.
    static func run(_ arguments: [String]) async -> Int32 {
        guard let first = arguments.first else {
            Console.err(usage)
            return ExitCode.usage
        }
        if first == "-h" || first == "--help" { return await HelpCommand.run([]) }
        if first == "--version" { return await VersionCommand.run([]) }
        guard let command = command(named: first) else {
            Console.err("wharf: unknown command '\(first)'\n\n" + usage)
            return ExitCode.usage
        }
        return await command.run(Array(arguments.dropFirst()))
    }

    static func command(named name: String) -> WharfCommand.Type? {
        commands.first { $0.name == name }
    }

    /// The overall usage: every command with its summary.
    static var usage: String {
        let width = commands.map { $0.name.count }.max() ?? 0
        let lines = commands.map { "  " + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary }
        return """
        wharf: an OCI distribution registry

        Usage: wharf <command> [arguments]

        Commands:
        \(lines.joined(separator: "\n"))

        Run 'wharf help <command>' for a command's usage.
        """
    }

    /// Parses `arguments` for `command`; on -h prints its usage (exit 0), on a mistake the
    /// mistake and its usage to stderr (exit 2). Returns nil when the caller should stop.
    static func parse(_ arguments: [String], for command: WharfCommand.Type, valued: Set<String> = [],
                      flags: Set<String> = [], positionals: ClosedRange<Int>) -> Result<CommandArguments, ExitStatus> {
        do {
            let parsed = try CommandArguments(arguments, valued: valued, flags: flags)
            if parsed.helpRequested {
                Console.out(command.usage)
                return .failure(ExitStatus(code: ExitCode.success))
            }
            try parsed.expectPositionals(positionals)
            return .success(parsed)
        } catch {
            Console.err("wharf \(command.name): \(error)\n\n\(command.usage)")
            return .failure(ExitStatus(code: ExitCode.usage))
        }
    }
}

/// An exit code as an error, for ``WharfCommandLine/parse(_:for:valued:flags:positionals:)``.
struct ExitStatus: Error {
    var code: Int32
}
