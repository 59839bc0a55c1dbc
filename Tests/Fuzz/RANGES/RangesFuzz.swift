import Foundation
import WharfFuzzing
@testable import WharfRegistry

// Run: Tests/Fuzz/run.sh ranges 600. Replay: swift run wharf-fuzz-ranges FILE|DIRECTORY
// (`@testable`: the header types are internal to WharfRegistry; fuzz targets build in debug.)

/// Feeds the bytes as a `Range` header (against a size taken from the first 8 bytes) and as
/// an upload's `Content-Range`. Beyond "no crash, no overflow trap": a satisfiable range lies
/// inside the content (0 ≤ start ≤ end < size), and a Content-Range has 0 ≤ start ≤ end with
/// a positive length.
func fuzzRanges(_ bytes: [UInt8]) {
    guard bytes.count >= 8 else { return }
    var raw: UInt64 = 0
    for b in bytes.prefix(8) { raw = raw << 8 | UInt64(b) }
    // Sizes cluster near the interesting edges: 0, small, and near Int64.max.
    let size: Int64
    switch raw % 4 {
    case 0: size = 0
    case 1: size = Int64(raw >> 2 % 4096)
    case 2: size = Int64.max - Int64(raw >> 2 % 4096)
    default: size = Int64(raw >> 2)
    }
    let header = String(decoding: bytes.dropFirst(8), as: UTF8.self)
    switch ByteRange.parse(header, size: size) {
    case .satisfiable(let start, let end):
        if !(start >= 0 && start <= end && end < size) { fatalError("Range \(header.debugDescription) on \(size) gave \(start)-\(end)") }
    case .unsatisfiable, .whole:
        break
    }
    if let r = ContentRange(header) {
        if !(r.start >= 0 && r.end >= r.start && r.length > 0) { fatalError("Content-Range \(header.debugDescription) gave \(r)") }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzRanges(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_ranges_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct RangesFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-ranges", fuzzRanges) }
}
#endif
