// Fuzz target for the HTTP/1.1 request parser and chunked decoder.
//
// Built with -DFUZZING and -sanitize=fuzzer (see Tests/Fuzz/run.sh) this file exports
// libFuzzer's entry point; in a normal build it is a replay driver that runs each file
// given as an argument through the same function (to reproduce a crash or walk the corpus).
import Foundation
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
    guard let data, size > 0 else { return 0 }
    fuzzHTTP1(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer's driver.
@_cdecl("wharf_fuzz_http1_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzz(data, size) }
}
#else
@main
struct HTTP1FuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: wharf-fuzz-http1 FILE...   (replays inputs through the HTTP/1.1 fuzz function)")
            return
        }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                continue
            }
            fuzzHTTP1(Array(data))
            print("ok \(path)")
        }
    }
}
#endif
