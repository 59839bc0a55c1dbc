/// Encodes header lists into header blocks (RFC 7541) with one connection's dynamic table.
///
/// A field found whole in a table is indexed; otherwise it is a literal with incremental
/// indexing (name indexed when known), or never indexed when ``neverIndexed`` lists its
/// name. Strings are Huffman-coded per ``huffman``.
///
/// ```swift
/// var encoder = HPACKEncoder()
/// let block = encoder.encode([(":status", "200"), ("content-type", "application/json")])
/// ```
public struct HPACKEncoder {
    /// When string literals are Huffman-coded.
    public enum HuffmanPolicy: Sendable { case never, always, whenShorter }

    /// When string literals are Huffman-coded (default: when that is shorter).
    public var huffman: HuffmanPolicy
    /// Lower-case names whose values never enter a table (credentials).
    public var neverIndexed: Set<String> = ["authorization", "proxy-authorization", "set-cookie", "cookie"]
    private var table: HPACKDynamicTable
    /// Smallest and latest size set since the last block: emitted as size updates (§4.2).
    private var pendingSizeUpdates: [Int] = []

    /// An encoder whose dynamic table holds at most `maxTableSize` bytes (the peer's default is 4096).
    public init(maxTableSize: Int = 4096, huffman: HuffmanPolicy = .whenShorter) {
        table = HPACKDynamicTable(maxSize: maxTableSize)
        self.huffman = huffman
    }

    /// Current size of the dynamic table in HPACK bytes.
    public var dynamicTableSize: Int { table.size }

    /// The peer's decoder allows `size` (its SETTINGS_HEADER_TABLE_SIZE): this encoder uses
    /// at most that (capped at 4096 to bound memory) and signals it in the next block.
    public mutating func setMaxTableSize(_ size: Int) {
        let s = min(size, 4096)
        if s == table.maxSize && pendingSizeUpdates.isEmpty { return }
        if let low = pendingSizeUpdates.first, s > low {
            pendingSizeUpdates = [low, s]
        } else {
            pendingSizeUpdates = [s]
        }
        table.setMaxSize(s)
    }

    /// Encodes one header list. Names should already be lower case (HTTP/2 requires it).
    public mutating func encode(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.count * 16)
        for size in pendingSizeUpdates { HPACKInteger.encode(size, prefix: 5, flags: 0x20, into: &out) }
        pendingSizeUpdates = []
        for (name, value) in fields {
            let staticCount = HPACKStaticTable.entries.count
            if let i = HPACKStaticTable.fullIndex[name + "\u{0}" + value] {
                HPACKInteger.encode(i, prefix: 7, flags: 0x80, into: &out)
                continue
            }
            let dynamic = table.find(name, value)
            if let d = dynamic, d.valueMatches {
                HPACKInteger.encode(d.index + staticCount, prefix: 7, flags: 0x80, into: &out)
                continue
            }
            let nameIndex = HPACKStaticTable.nameIndex[name] ?? dynamic.map { $0.index + staticCount } ?? 0
            if neverIndexed.contains(name) {
                HPACKInteger.encode(nameIndex, prefix: 4, flags: 0x10, into: &out)
            } else {
                HPACKInteger.encode(nameIndex, prefix: 6, flags: 0x40, into: &out)
                table.add(name, value)
            }
            if nameIndex == 0 { appendString(name, into: &out) }
            appendString(value, into: &out)
        }
        return out
    }

    private func appendString(_ s: String, into out: inout [UInt8]) {
        let raw = Array(s.utf8)
        let useHuffman: Bool
        switch huffman {
        case .never: useHuffman = false
        case .always: useHuffman = true
        case .whenShorter: useHuffman = HPACKHuffman.encodedLength(raw) < raw.count
        }
        if useHuffman {
            HPACKInteger.encode(HPACKHuffman.encodedLength(raw), prefix: 7, flags: 0x80, into: &out)
            HPACKHuffman.encode(raw, into: &out)
        } else {
            HPACKInteger.encode(raw.count, prefix: 7, flags: 0, into: &out)
            out.append(contentsOf: raw)
        }
    }
}
