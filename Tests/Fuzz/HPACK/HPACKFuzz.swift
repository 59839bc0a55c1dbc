// Fuzz target for the HPACK decoder (see Tests/Fuzz/README.md).
//
// Built with -DFUZZING and -sanitize=fuzzer (Tests/Fuzz/run.sh) this file exports libFuzzer's
// entry point; in a normal build it is a replay driver for files given as arguments.
import Foundation
import WharfFuzzing
import WharfHTTP

/// Splits `input` into header blocks (the first byte picks the block size and table size),
/// decodes them in order with one decoder (as one connection), and for every block that
/// decodes checks that encoding the fields again (with and without Huffman) decodes to the
/// same list. Also checks Huffman encode/decode round-trips on the raw bytes.
func fuzzHPACK(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let blockSize = Int(first & 0x3f) + 1
    var decoder = HPACKDecoder(maxTableSize: first & 0x40 != 0 ? 4096 : 64, maxHeaderListSize: 2048, maxStringLength: 1024)
    var encoders = [HPACKEncoder(maxTableSize: 4096, huffman: .always), HPACKEncoder(maxTableSize: 4096, huffman: .never)]
    var mirrors = [HPACKDecoder(maxHeaderListSize: 1 << 20), HPACKDecoder(maxHeaderListSize: 1 << 20)]
    let body = Array(input.dropFirst())
    var position = 0
    while position < body.count {
        let block = Array(body[position..<min(body.count, position + blockSize)])
        position += blockSize
        let fields: [(name: String, value: String)]
        do {
            fields = try decoder.decode(block)
        } catch HPACKError.headerListTooLarge {
            continue
        } catch {
            return
        }
        precondition(decoder.dynamicTableSize <= decoder.maxTableSize, "dynamic table above its limit")
        for i in 0..<2 {
            let encoded = encoders[i].encode(fields)
            guard let back = try? mirrors[i].decode(encoded) else { preconditionFailure("re-encoded block does not decode") }
            precondition(back.count == fields.count && zip(back, fields).allSatisfy { $0.name == $1.name && $0.value == $1.value },
                         "re-encoded block decodes differently")
        }
    }
    var huffman: [UInt8] = []
    HPACKHuffman.encode(body, into: &huffman)
    precondition(huffman.count == HPACKHuffman.encodedLength(body))
    let decoded = huffman.withUnsafeBytes { try? HPACKHuffman.decode($0) }
    precondition(decoded == body, "Huffman round trip differs")
    _ = body.withUnsafeBytes { try? HPACKHuffman.decode($0) }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzHPACK(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_hpack_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct HPACKFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-hpack", fuzzHPACK) }
}
#endif
