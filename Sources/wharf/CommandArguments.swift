import Foundation

/// The arguments of one command, split into options and positionals by a small parser of
/// our own: `--name value`, `--name=value`, boolean `--flag`, `-h`/`--help`, and `--`
/// ending options.
///
/// ```swift
/// let args = try CommandArguments(["--dry-run", "config.yml"], valued: [], flags: ["--dry-run"])
/// args.flags.contains("--dry-run")   // true
/// args.positionals                   // ["config.yml"]
/// ```
struct CommandArguments {
    /// Values of valued options, by option name (`--name`); the last one given wins.
    var values: [String: String] = [:]
    /// Boolean flags given.
    var flags: Set<String> = []
    /// Everything else, in order.
    var positionals: [String] = []
    /// True when `-h` or `--help` was given.
    var helpRequested = false

    /// A usage mistake, printed with the command's usage.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ arguments: [String], valued: Set<String> = [], flags allowedFlags: Set<String> = []) throws {
        var i = 0
        var optionsEnded = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if optionsEnded || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" { optionsEnded = true; continue }
            if arg == "-h" || arg == "--help" { helpRequested = true; continue }
            var name = arg
            var inline: String? = nil
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            if valued.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard i < arguments.count else { throw UsageError(description: "option \(name) needs a value") }
                    values[name] = arguments[i]
                    i += 1
                }
            } else if allowedFlags.contains(name) && inline == nil {
                flags.insert(name)
            } else {
                throw UsageError(description: "unknown option \(arg)")
            }
        }
    }

    /// `--output plain|json` (default plain); nil, with the usage printed, for anything else.
    func outputFormat(for command: WharfCommand.Type) -> String? {
        let output = values["--output"] ?? "plain"
        guard output == "plain" || output == "json" else {
            Console.err("wharf \(command.name): --output must be plain or json\n\n\(command.usage)")
            return nil
        }
        return output
    }

    /// Checks the number of positionals.
    func expectPositionals(_ range: ClosedRange<Int>) throws {
        if positionals.count < range.lowerBound { throw UsageError(description: "missing argument") }
        if positionals.count > range.upperBound {
            throw UsageError(description: "unexpected argument '\(positionals[range.upperBound])'")
        }
    }
}
