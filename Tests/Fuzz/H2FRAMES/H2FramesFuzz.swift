// Fuzz target for the HTTP/2 frame decoder (see Tests/Fuzz/README.md).
//
// Built with -DFUZZING and -sanitize=fuzzer (Tests/Fuzz/run.sh) this file exports libFuzzer's
// entry point; in a normal build it is a replay driver for files given as arguments.
import Foundation
import WharfFuzzing
import WharfHTTP

/// Feeds `input` to ``HTTP2FrameDecoder`` in pieces (the first byte picks the piece size and
/// the max frame size), checks that frames re-encoded by ``HTTP2FrameEncoder`` decode to the
/// same frames, and decodes HEADERS/CONTINUATION fragments with an HPACK decoder.
func fuzzH2Frames(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let step = Int(first % 32) + 1
    var decoder = HTTP2FrameDecoder(maxFrameSize: first & 0x80 != 0 ? 16384 : 64)
    var hpack = HPACKDecoder(maxTableSize: 256, maxHeaderListSize: 1024, maxStringLength: 512)
    var position = 1
    var total = 0
    while position < input.count {
        let end = min(input.count, position + step)
        input[position..<end].withUnsafeBytes { decoder.append($0) }
        position = end
        while true {
            let frame: HTTP2Frame?
            do { frame = try decoder.nextFrame() } catch { return }
            guard let frame else { break }
            total += 1
            precondition(total <= input.count / 9 + 1, "more frames than the input can hold")
            check(frame, &hpack)
        }
    }
}

private func check(_ frame: HTTP2Frame, _ hpack: inout HPACKDecoder) {
    var again: HTTP2Frame?
    switch frame {
    case .settings(false, let parameters):
        again = reparse(HTTP2FrameEncoder.settings(parameters))
    case .ping(true, let data):
        again = reparse(HTTP2FrameEncoder.pingAck(data))
    case .windowUpdate(let stream, let increment):
        again = reparse(HTTP2FrameEncoder.windowUpdate(stream: stream, increment: increment))
    case .goAway(let last, let code, let debug):
        precondition(last <= 0x7fff_ffff)
        _ = (code, debug)
    case .headers(let stream, let fragment, let endStream, true):
        _ = try? hpack.decode(fragment)
        again = reparse(HTTP2FrameEncoder.headers(stream: stream, block: fragment, endStream: endStream, maxFrameSize: 1 << 20))
    case .continuation(_, let fragment, _):
        _ = try? hpack.decode(fragment)
    case .data(let stream, let payload, let endStream, let flowLength):
        precondition(payload.count <= flowLength, "DATA payload longer than the frame")
        again = reparse(HTTP2FrameEncoder.dataHeader(stream: stream, length: payload.count, endStream: endStream) + payload)
        if case .data(let s, let p, let e, _)? = again { precondition(s == stream && p == payload && e == endStream) }
        return
    default:
        return
    }
    if let again { precondition(again == frame, "re-encoded frame differs: \(frame) vs \(again)") }
}

private func reparse(_ bytes: [UInt8]) -> HTTP2Frame? {
    var d = HTTP2FrameDecoder(maxFrameSize: 1 << 20)
    d.append(bytes)
    guard let f = try? d.nextFrame() else { preconditionFailure("re-encoded frame does not decode") }
    precondition(d.bufferedBytes == 0, "re-encoded frame left bytes over")
    return f
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzH2Frames(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_h2frames_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct H2FramesFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-h2frames", fuzzH2Frames) }
}
#endif
