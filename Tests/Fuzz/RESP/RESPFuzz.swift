import Foundation
import WharfFuzzing
import WharfRegistry

// Run: Tests/Fuzz/run.sh resp 180. Replay an input in a normal build:
//   swift run wharf-fuzz-resp FILE|DIRECTORY

/// Feeds arbitrary bytes to the RESP reply parser as a Redis connection would: reply after
/// reply until the buffer ends or an error. Errors are fine; a crash, trap or hang is a
/// bug. Every parsed reply must also be incomplete (nil, never an error) when its last
/// byte is missing, since the client reads the socket in pieces.
func fuzzOne(_ bytes: [UInt8]) {
    var at = 0
    var count = 0
    while at < bytes.count, count < 10_000 {
        let parsed: (RESPValue, Int)?
        do { parsed = try RESP.parse(bytes, from: at) } catch { return }
        guard let (_, next) = parsed else { return }
        guard next > at, next <= bytes.count else { fatalError("parser did not advance: \(at) -> \(next)") }
        let prefix = Array(bytes[..<(next - 1)])
        if (try? RESP.parse(prefix, from: at)).flatMap({ $0 }) != nil {
            fatalError("a reply parsed without its last byte at \(at)")
        }
        at = next
        count += 1
    }
    // Commands encode to arrays of bulk strings that parse back.
    let args = String(decoding: bytes.prefix(64), as: UTF8.self).split(separator: " ").map(String.init)
    if !args.isEmpty {
        guard let (value, end) = (try? RESP.parse(RESP.encode(args))).flatMap({ $0 }),
              value == .array(args.map { .bulk(Array($0.utf8)) }), end == RESP.encode(args).count else {
            fatalError("encoded command does not parse back: \(args)")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_resp_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct RESPFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-resp") { fuzzOne($0) } }
}
#endif
