import Foundation
import WharfConfig
import WharfRegistry

/// `wharf prune --keep-tag-revisions=N --keep-younger-than=DURATION [--confirm] CONFIG`:
/// deletes old tag revisions as OpenShift's image pruner does (`oc adm prune images`).
enum PruneCommand: WharfCommand {
    static let name = "prune"
    static let summary = "Delete old tag revisions (keep the newest N of every tag)"
    static let usage = """
    Usage: wharf prune [--keep-tag-revisions N] [--keep-younger-than DURATION] [--confirm]
                       [--output plain|json] CONFIG

    A tag's revisions are every digest it pointed at (_manifests/tags/<tag>/index),
    newest first. Keeps the newest N revisions of every tag (default 3), every revision
    younger than DURATION (default 60m; Go durations: 90m, 1h30m, 48h), what each tag
    points at now, and what kept manifests keep alive (an index's children, referrers).
    Older revisions are deleted as DELETE /v2/<name>/manifests/<digest> deletes them,
    and their referrers (signatures, SBOMs) with them. Blobs are freed by the next
    'wharf garbage-collect'.

    Without --confirm nothing is deleted: prints what would be pruned as a table
    (repository, tag, revision digest, age, size) and the total, as 'oc adm prune images'
    does. Exits 0 on success, 1 on a storage error, 2 on bad usage or configuration.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, valued: ["--keep-tag-revisions", "--keep-younger-than", "--output"],
                                      flags: ["--confirm"], positionals: 1...1) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        var options = Pruner.Options(confirm: parsed.flags.contains("--confirm"))
        if let text = parsed.values["--keep-tag-revisions"] {
            guard let n = Int(text), n >= 0 else { return usageError("--keep-tag-revisions must be a number >= 0") }
            options.keepTagRevisions = n
        }
        if let text = parsed.values["--keep-younger-than"] {
            guard let seconds = ConfigValueParser.duration(text), seconds >= 0 else {
                return usageError("--keep-younger-than must be a duration such as 60m or 48h")
            }
            options.keepYoungerThan = seconds
        }
        let output = parsed.values["--output"] ?? "plain"
        guard output == "plain" || output == "json" else { return usageError("--output must be plain or json") }
        let storage: ConfiguredStorage
        switch ConfiguredStorage.open(configFile: parsed.positionals[0]) {
        case .success(let s): storage = s
        case .failure(let status): return status.code
        }
        let report: Pruner.Report
        do {
            report = try await Pruner(driver: storage.driver, options: options).run()
        } catch {
            Console.err("wharf \(name): \(error)")
            return ExitCode.failure
        }
        for problem in report.problems { Console.err("warning: \(problem)") }
        if output == "json" {
            Console.json(report)
        } else {
            Console.out(table(report))
        }
        return ExitCode.success
    }

    private static func usageError(_ message: String) -> Int32 {
        Console.err("wharf \(name): \(message)\n\n\(usage)")
        return ExitCode.usage
    }

    /// An age in one coarse unit, rounded down, as `oc` prints ages: `42s`, `15m`, `3h`, `12d`.
    static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m"
        case ..<(48 * 3600): return "\(s / 3600)h"
        default: return "\(s / 86400)d"
        }
    }

    /// The candidates as aligned columns, then the total.
    static func table(_ report: Pruner.Report) -> String {
        var rows = [["REPOSITORY", "TAG", "REVISION", "AGE", "SIZE"]]
        for c in report.candidates {
            rows.append([c.repository, c.subject.map { "referrer-of:\($0.prefix(19))" } ?? c.tag, c.digest,
                         age(c.age), "\(c.size)"])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { $0.offset == 4 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        let verb = report.confirm ? "Deleted" : "Would delete"
        lines.append("\(verb) \(report.revisions) revisions, \(report.size) bytes"
                     + (report.confirm ? "; run 'wharf garbage-collect' to free the blobs" : " (dry run: nothing deleted; add --confirm to delete)"))
        return lines.joined(separator: "\n")
    }
}
