import Foundation
import WharfAPI
import WharfConfig
import WharfHTTP
import WharfRegistry

/// `wharf garbage-collect [--dry-run] [--delete-untagged] [--output json] CONFIG`: offline
/// mark and sweep of the storage CONFIG names, with distribution's semantics.
enum GarbageCollectCommand: WharfCommand {
    static let name = "garbage-collect"
    static let summary = "Delete blobs no manifest references (offline mark and sweep)"
    static let usage = """
    Usage: wharf garbage-collect [--dry-run] [--delete-untagged] [--output plain|json] CONFIG

    Marks every blob the manifests of every repository reference and deletes the rest,
    as distribution's 'registry garbage-collect' does, on any storage driver. Also removes
    each repository's _layers and revision links left pointing at a deleted blob.
    Stop the registry or set storage.maintenance.readonly while it runs.

      --dry-run          count what would be deleted; delete nothing
      --delete-untagged  also remove manifest revisions no tag reaches (an index's children
                         and the referrers of kept manifests are kept)
      --output json      print the summary as one JSON object (default: one plain line)

    Progress goes to stderr on a terminal; problems (manifests read conservatively,
    dangling links) are listed on stderr. Exits 0 on success, 1 on a storage error
    (nothing is swept after an error in the mark phase), 2 on bad usage or configuration.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: CommandArguments
        switch WharfCommandLine.parse(arguments, for: self, valued: ["--output"], flags: ["--dry-run", "--delete-untagged"],
                                      positionals: 1...1) {
        case .success(let p): parsed = p
        case .failure(let status): return status.code
        }
        guard let output = parsed.outputFormat(for: self) else { return ExitCode.usage }
        let driver: ConfiguredStorage
        switch ConfiguredStorage.open(configFile: parsed.positionals[0]) {
        case .success(let d): driver = d
        case .failure(let status): return status.code
        }
        let options = GarbageCollector.Options(dryRun: parsed.flags.contains("--dry-run"),
                                               deleteUntagged: parsed.flags.contains("--delete-untagged"))
        let line = ProgressLine()
        let collector = GarbageCollector(driver: driver.driver, options: options, progress: { p in
            line.show("\(p.phase): \(p.repositories) repositories, \(p.manifests) manifests, \(p.blobsMarked) blobs marked, "
                      + "\(p.blobsSwept) swept, \(p.bytesFreed) bytes freed")
        })
        let report: GarbageCollector.Report
        do {
            report = try await collector.run()
        } catch {
            line.finish()
            Console.err("wharf \(name): \(error)")
            return ExitCode.failure
        }
        line.finish()
        // Replicas share blob descriptors in Redis: the swept blobs' entries must go too.
        if !report.dryRun, let cache = RedisWiring.cache(driver.configuration, logger: Logger(level: .error), metrics: nil),
           !(await cache.forgetBlobs(report.sweptDigests.compactMap { Digest.parse($0) })) {
            Console.err("warning: could not remove the swept blobs from the Redis blob descriptor cache; flush it (redis-cli FLUSHDB) before serving")
        }
        for problem in report.problems { Console.err("warning: \(problem)") }
        if output == "json" {
            Console.json(report)
        } else {
            let verb = report.dryRun ? "would delete" : "deleted"
            Console.out("\(report.repositories) repositories, \(report.manifests) manifests, \(report.blobsMarked) blobs marked; "
                        + "\(verb) \(report.blobsSwept) blobs (\(report.bytesFreed) bytes), \(report.manifestsRemoved) manifests, "
                        + "\(report.linksRemoved) links; \(report.problems.count) problems")
        }
        return ExitCode.success
    }
}
