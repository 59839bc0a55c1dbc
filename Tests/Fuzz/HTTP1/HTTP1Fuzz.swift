// Fuzz target for the HTTP/1.1 request parser and chunked decoder.
//
// Built with -DFUZZING and -sanitize=fuzzer (see Tests/Fuzz/run.sh) this file exports
// libFuzzer's entry point; in a normal build it is a replay driver that runs each file
// given as an argument through the same function (to reproduce a crash or walk the corpus).
import Foundation
import WharfFuzzing
import WharfHTTP

/// Feeds `bytes` to the parser the way a connection does: heads and bodies arriving in
/// pieces, pipelined requests one after another. The first byte picks the piece size.
/// Also checks that incremental parsing agrees with parsing the same bytes at once.
func fuzzHTTP1(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let step = Int(first % 64) + 1
    let bytes = Array(input.dropFirst())
    var limits = HTTPLimits()
    limits.maxHeaderBytes = 4096
    limits.maxHeaderCount = 32

    var buffer: [UInt8] = []
    var position = 0
    var scanFrom = 0
    var decoder: ChunkedDecoder?
    var lengthRemaining: Int64 = 0
    var requests = 0

    while position < bytes.count || !buffer.isEmpty {
        if position < bytes.count {
            let end = min(bytes.count, position + step)
            buffer += bytes[position..<end]
            position = end
        }
        var progressed = true
        while progressed && !buffer.isEmpty {
            progressed = false
            if lengthRemaining > 0 {
                let take = Int(min(Int64(buffer.count), lengthRemaining))
                buffer.removeFirst(take)
                lengthRemaining -= Int64(take)
                progressed = take > 0
                continue
            }
            if var d = decoder {
                var bodyBytes = 0
                let result = try? buffer.withUnsafeBytes { try d.decode($0) { bodyBytes += $0.count } }
                guard let (used, done) = result else { return }
                precondition(used <= buffer.count, "decoder consumed more than it was given")
                precondition(done || used == buffer.count, "decoder stopped before the end of its input")
                buffer.removeFirst(used)
                decoder = done ? nil : d
                progressed = done
                continue
            }
            let result = buffer.withUnsafeBytes { HTTP1Parser.parseHead($0, limits: limits, scanFrom: scanFrom) }
            switch result {
            case .needMore:
                scanFrom = HTTP1Parser.rescanPosition(afterScanning: buffer.count)
                if position >= bytes.count { return }
            case .failure(let error):
                precondition([400, 431, 501, 505].contains(error.status), "unexpected status \(error.status)")
                return
            case .complete(let head, let consumed):
                precondition(consumed > 0 && consumed <= buffer.count)
                // The same head parsed in one go must give the same answer.
                let whole = buffer.withUnsafeBytes { HTTP1Parser.parseHead($0, limits: limits) }
                guard case .complete(let again, let consumedAgain) = whole, consumedAgain == consumed,
                      again.method == head.method, again.target == head.target, again.headers.count == head.headers.count
                else { preconditionFailure("incremental and whole parses disagree") }
                _ = HTTPRequest(method: head.method, target: head.target, version: head.version, headers: head.headers).queryItems
                buffer.removeFirst(consumed)
                scanFrom = 0
                requests += 1
                switch HTTP1Parser.bodyFraming(of: head) {
                case .failure: return
                case .success(.length(let n)): lengthRemaining = n
                case .success(.chunked): decoder = ChunkedDecoder(maxMetadataBytes: 1024)
                }
                progressed = true
            }
        }
        if position >= bytes.count && !progressed { return }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzHTTP1(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_http1_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct HTTP1FuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-http1", fuzzHTTP1) }
}
#endif
