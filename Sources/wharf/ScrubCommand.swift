import Foundation
import WharfConfig
import WharfRegistry

/// `wharf scrub [--output plain|json] CONFIG`: reads every blob and manifest of the storage
/// CONFIG names and reports what is corrupt or missing.
enum ScrubCommand: WharfCommand {
    static let name = "scrub"
    static let summary = "Check that every stored blob and manifest is intact (read-only)"
    static let usage = """
    Usage: wharf scrub [--output plain|json] CONFIG

    Reads the whole storage CONFIG names and checks that every blob's bytes hash to its
    digest, that every manifest revision's config, layers and child manifests are stored,
    and that each gzip layer decompresses to the diff_id its image config lists. Deletes
    and repairs nothing; safe while the registry runs.

      --output json   print the report (counts and findings) as one JSON object

    Each finding is printed with the storage path at fault; progress goes to stderr on a
    terminal. Exits 0 when everything is intact, 1 when anything is corrupt or missing or
    storage fails, 2 on bad usage or configuration.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, valued: ["--output"], flags: [], positionals: 1...1) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        guard let output = parsed.outputFormat(for: self) else { return ExitCode.usage }
        let storage: ConfiguredStorage
        switch ConfiguredStorage.open(configFile: parsed.positionals[0]) {
        case .success(let s): storage = s
        case .failure(let status): return status.code
        }
        let line = ProgressLine()
        let scrubber = Scrubber(driver: storage.driver, progress: { phase, r in
            line.show("\(phase): \(r.blobs) blobs (\(r.bytes) bytes) hashed, \(r.manifests) manifests in \(r.repositories) repositories, "
                      + "\(r.findings.count) problems")
        })
        let report: Scrubber.Report
        do {
            report = try await scrubber.run()
        } catch {
            line.finish()
            Console.err("wharf \(name): \(error)")
            return ExitCode.failure
        }
        line.finish()
        if output == "json" {
            Console.json(report)
        } else {
            for f in report.findings {
                let via = f.manifest.map { " (manifest \($0) in \(f.repository ?? ""))" } ?? ""
                Console.out("\(f.kind) \(f.path)\(via): \(f.detail)")
            }
            Console.out("\(report.blobs) blobs (\(report.bytes) bytes), \(report.manifests) manifests in \(report.repositories) repositories, "
                        + "\(report.layersDecompressed) layers decompressed; \(report.ok ? "no problems" : "\(report.findings.count) problems")")
        }
        return report.ok ? ExitCode.success : ExitCode.failure
    }
}
