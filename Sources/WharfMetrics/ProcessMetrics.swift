import Foundation

/// The standard `process_*` metrics read from `/proc/self` at scrape time (Linux; on
/// other systems the series that cannot be read are left out).
public enum ProcessMetrics {
    /// Registers `process_resident_memory_bytes`, `process_cpu_seconds_total`,
    /// `process_open_fds` and `process_start_time_seconds` in `registry`.
    public static func register(in registry: MetricsRegistry) {
        registry.register(GaugeFunction(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.",
                                        type: "counter") { stat().map { [([], $0.cpuSeconds)] } ?? [] })
        registry.register(GaugeFunction(name: "process_open_fds", help: "Number of open file descriptors.") {
            openFileDescriptors().map { [([], Double($0))] } ?? []
        })
        registry.register(GaugeFunction(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.") {
            residentBytes().map { [([], $0)] } ?? []
        })
        registry.register(GaugeFunction(name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.") {
            stat().map { [([], $0.startTime)] } ?? []
        })
    }

    private static var ticksPerSecond: Double { Double(max(1, sysconf(Int32(_SC_CLK_TCK)))) }

    /// CPU seconds and start time (Unix seconds) from `/proc/self/stat` and `/proc/stat`.
    static func stat() -> (cpuSeconds: Double, startTime: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15, starttime 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let utime = Double(fields[11]), let stime = Double(fields[12]),
              let start = Double(fields[19]) else { return nil }
        var boot = 0.0
        if let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
           let v = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) {
            boot = v
        }
        return ((utime + stime) / ticksPerSecond, boot + start / ticksPerSecond)
    }

    /// Resident set size in bytes from `/proc/self/statm`.
    static func residentBytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of `/proc/self/fd`, less the one used to list it.
    static func openFileDescriptors() -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return max(0, entries.count - 1)
    }
}
