import Foundation
import WharfConfig

/// `wharf check-config FILE`: validates a configuration (with the `REGISTRY_*` variables
/// applied, as `serve` would) and prints the effective result, secrets masked.
enum CheckConfigCommand: WharfCommand {
    static let name = "check-config"
    static let summary = "Validate a configuration file and print the effective configuration"
    static let usage = """
    Usage: wharf check-config FILE

    Reads FILE (distribution's config.yml format), applies REGISTRY_* environment
    variables, and prints the effective configuration as YAML with secrets masked.
    Also reads the auth policy or htpasswd file the configuration names, as serve
    would, and warns about bindings to users or groups that do not exist.
    Exits 0 when valid; otherwise prints file:line: errors to stderr and exits 2.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, positionals: 1...1) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        do {
            let loaded = try Configuration.load(file: parsed.positionals[0], environment: ProcessInfo.processInfo.environment)
            for warning in loaded.warnings { Console.err("warning: \(warning)") }
            for warning in try AuthSetup.check(loaded.configuration) { Console.err("warning: \(warning)") }
            Console.out(ConfigurationPrinter.yaml(loaded.configuration))
            return ExitCode.success
        } catch {
            Console.err("\(error)")
            return ExitCode.usage
        }
    }
}
