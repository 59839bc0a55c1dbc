/// Huffman coding of string literals (RFC 7541 §5.2 and Appendix B).
public enum HPACKHuffman {
    /// The number of bytes `bytes` takes Huffman-coded.
    public static func encodedLength<C: Sequence>(_ bytes: C) -> Int where C.Element == UInt8 {
        var bits = 0
        for b in bytes { bits += Int(HPACKHuffmanTable.lengths[Int(b)]) }
        return (bits + 7) / 8
    }

    /// Appends the Huffman code of `bytes`, padded with the most significant bits of EOS (ones).
    public static func encode<C: Sequence>(_ bytes: C, into out: inout [UInt8]) where C.Element == UInt8 {
        var accumulator: UInt64 = 0
        var bits = 0
        for b in bytes {
            let length = Int(HPACKHuffmanTable.lengths[Int(b)])
            accumulator = (accumulator << UInt64(length)) | UInt64(HPACKHuffmanTable.codes[Int(b)])
            bits += length
            while bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(bits)))
            }
            accumulator &= (1 << UInt64(bits)) - 1
        }
        if bits > 0 {
            let pad = 8 - bits
            out.append(UInt8(truncatingIfNeeded: (accumulator << UInt64(pad)) | ((1 << UInt64(pad)) - 1)))
        }
    }

    /// Decodes Huffman-coded `bytes`; throws ``HPACKError/invalidHuffman`` on EOS, bad padding
    /// or a code that does not exist, and ``HPACKError/stringTooLong(_:)`` past `limit` output bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) throws -> [UInt8] {
        let tree = Tree.shared
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, bytes.count * 8 / 5 + 1))
        var node = 0
        var bitsSinceSymbol = 0
        var onesSinceSymbol = true
        for byte in bytes {
            for shift in stride(from: 7, through: 0, by: -1) {
                let bit = Int((byte >> UInt8(shift)) & 1)
                let next = tree.children[node * 2 + bit]
                bitsSinceSymbol += 1
                if bit == 0 { onesSinceSymbol = false }
                if next < 0 {
                    let symbol = Int(-next - 1)
                    if symbol == 256 { throw HPACKError.invalidHuffman }
                    guard out.count < limit else { throw HPACKError.stringTooLong(out.count + 1) }
                    out.append(UInt8(symbol))
                    node = 0
                    bitsSinceSymbol = 0
                    onesSinceSymbol = true
                } else if next == 0 {
                    throw HPACKError.invalidHuffman
                } else {
                    node = Int(next)
                }
            }
        }
        // Padding: fewer than 8 bits, all ones (a prefix of EOS).
        if bitsSinceSymbol > 7 || !onesSinceSymbol { throw HPACKError.invalidHuffman }
        return out
    }

    /// The decoding tree: node `i` has children at `2i` (bit 0) and `2i+1` (bit 1); a
    /// positive entry is a node index, a negative one `-(symbol + 1)`, zero no code.
    private final class Tree: Sendable {
        static let shared = Tree()
        let children: [Int32]

        private init() {
            var c: [Int32] = [0, 0]
            for symbol in 0...256 {
                let code = HPACKHuffmanTable.codes[symbol]
                let length = Int(HPACKHuffmanTable.lengths[symbol])
                var node = 0
                for i in stride(from: length - 1, through: 0, by: -1) {
                    let bit = Int((code >> UInt32(i)) & 1)
                    if i == 0 {
                        c[node * 2 + bit] = Int32(-(symbol + 1))
                    } else {
                        if c[node * 2 + bit] == 0 {
                            c.append(0); c.append(0)
                            c[node * 2 + bit] = Int32(c.count / 2 - 1)
                        }
                        node = Int(c[node * 2 + bit])
                    }
                }
            }
            children = c
        }
    }
}
