import Foundation

/// `wharf help [COMMAND]`: the list of commands, or one command's usage.
enum HelpCommand: WharfCommand {
    static let name = "help"
    static let summary = "Show the commands, or one command's usage"
    static let usage = """
    Usage: wharf help [COMMAND]

    Without COMMAND, lists every command; with it, prints that command's usage.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, positionals: 0...1) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        guard let name = parsed.positionals.first else {
            Console.out(WharfCommandLine.usage)
            return ExitCode.success
        }
        guard let command = WharfCommandLine.command(named: name) else {
            Console.err("wharf help: unknown command '\(name)'\n\n" + WharfCommandLine.usage)
            return ExitCode.usage
        }
        Console.out(command.usage)
        return ExitCode.success
    }
}
