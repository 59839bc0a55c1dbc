import Foundation

/// The process's open-file limit, and how many connections fit in it.
///
/// Each connection holds one descriptor, and each request it serves may hold more (an open
/// blob file, a storage socket). A connection limit the descriptor limit cannot hold turns
/// into `EMFILE` on `open` — every blob GET failing — instead of a refused connection, so the
/// server raises its soft limit to the hard one and keeps connections to half of it.
struct DescriptorBudget {
    /// The soft `RLIMIT_NOFILE` after raising it.
    let descriptors: Int

    /// Raises the soft open-file limit to the hard limit (best effort) and reads it back.
    static func raise() -> DescriptorBudget {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return DescriptorBudget(descriptors: 1024) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return DescriptorBudget(descriptors: Int(clamping: limit.rlim_cur))
    }

    /// The connection limit to enforce: `wanted`, lowered so that connections (reserved slots
    /// included) use at most half of the descriptors and the rest stays for files and sockets.
    func connections(wanted: Int, reserved: Int) -> Int {
        max(1, min(wanted, descriptors / 2 - reserved))
    }
}
