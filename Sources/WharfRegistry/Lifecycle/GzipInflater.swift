import CZlib
import Foundation

/// Streaming gzip (or zlib) decompression over zlib's inflate, fed chunk by chunk, so a
/// layer of any size is checked in bounded memory. Concatenated gzip members are read on.
final class GzipInflater {
    private var stream = z_stream()
    private var finished = false
    private var output = [UInt8](repeating: 0, count: 256 << 10)

    /// Fails when zlib cannot be initialised.
    init() throws {
        guard wharf_inflate_init_gzip(&stream) == Z_OK else { throw Failure(description: "zlib inflateInit2 failed") }
    }

    deinit { inflateEnd(&stream) }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Decompresses `input`, handing every piece of output to `sink`.
    func feed(_ input: Data, _ sink: (UnsafeRawBufferPointer) -> Void) throws {
        guard !input.isEmpty else { return }
        try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.bindMemory(to: Bytef.self).baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while stream.avail_in > 0 {
                if finished {
                    // Another gzip member follows the one that ended.
                    guard inflateReset(&stream) == Z_OK else { throw Failure(description: "zlib inflateReset failed") }
                    finished = false
                }
                let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let produced = out.count - Int(stream.avail_out)
                    if produced > 0 { sink(UnsafeRawBufferPointer(start: out.baseAddress, count: produced)) }
                    return status
                }
                switch status {
                case Z_OK: continue
                case Z_STREAM_END: finished = true
                case Z_BUF_ERROR where stream.avail_in == 0: return
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw Failure(description: "not valid gzip: \(message)")
                }
            }
        }
    }

    /// Throws when the input ended inside a gzip member.
    func finish() throws {
        guard finished else { throw Failure(description: "not valid gzip: truncated") }
    }
}
