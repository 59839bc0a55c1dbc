/// Decodes header blocks (RFC 7541 §6) with one connection's dynamic table.
///
/// Bounded: integers past 2^30, strings past ``maxStringLength`` and table size updates
/// above ``maxTableSize`` are errors; a header list above ``maxHeaderListSize`` (name +
/// value + 32 per field, RFC 9113 §6.5.2) is decoded to the end so the table stays in
/// step with the peer's encoder, then reported as ``HPACKError/headerListTooLarge``.
///
/// ```swift
/// var decoder = HPACKDecoder()
/// let fields = try decoder.decode([0x82, 0x86, 0x84])   // :method GET, :scheme http, :path /
/// ```
public struct HPACKDecoder {
    /// The table size this side allows (its SETTINGS_HEADER_TABLE_SIZE).
    public private(set) var maxTableSize: Int
    /// The largest decoded header list accepted.
    public var maxHeaderListSize: Int
    /// The longest string literal accepted, before or after Huffman decoding.
    public var maxStringLength: Int
    private var table: HPACKDynamicTable

    /// A decoder with the given table size (as advertised in SETTINGS) and limits.
    public init(maxTableSize: Int = 4096, maxHeaderListSize: Int = 64 * 1024, maxStringLength: Int = 64 * 1024) {
        self.maxTableSize = maxTableSize
        self.maxHeaderListSize = maxHeaderListSize
        self.maxStringLength = maxStringLength
        table = HPACKDynamicTable(maxSize: maxTableSize)
    }

    /// Current size of the dynamic table in HPACK bytes.
    public var dynamicTableSize: Int { table.size }
    /// Number of entries in the dynamic table.
    public var dynamicTableCount: Int { table.count }

    /// Decodes one complete header block.
    public mutating func decode(_ block: [UInt8]) throws -> [(name: String, value: String)] {
        try block.withUnsafeBytes { try decode($0) }
    }

    /// Decodes one complete header block.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer) throws -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var position = 0
        var listSize = 0
        var tooLarge = false
        var atStart = true
        func emit(_ name: String, _ value: String) {
            if tooLarge { return }
            listSize += name.utf8.count + value.utf8.count + 32
            if listSize > maxHeaderListSize { tooLarge = true; fields = []; return }
            fields.append((name, value))
        }
        while position < bytes.count {
            let b = bytes[position]
            if b & 0x80 != 0 {
                // Indexed header field (§6.1).
                let index = try HPACKInteger.decode(bytes, prefix: 7, position: &position)
                let e = try lookup(index)
                emit(e.name, e.value)
            } else if b & 0x40 != 0 {
                // Literal with incremental indexing (§6.2.1).
                let (name, value) = try literal(bytes, prefix: 6, position: &position)
                table.add(name, value)
                emit(name, value)
            } else if b & 0x20 != 0 {
                // Dynamic table size update (§6.3): only before the first field.
                let size = try HPACKInteger.decode(bytes, prefix: 5, position: &position)
                guard atStart, size <= maxTableSize else { throw HPACKError.invalidTableSizeUpdate(size) }
                table.setMaxSize(size)
                continue
            } else {
                // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
                let (name, value) = try literal(bytes, prefix: 4, position: &position)
                emit(name, value)
            }
            atStart = false
        }
        if tooLarge { throw HPACKError.headerListTooLarge }
        return fields
    }

    /// Changes the table size this side allows (a new SETTINGS_HEADER_TABLE_SIZE, once acknowledged).
    public mutating func setMaxTableSize(_ size: Int) {
        maxTableSize = size
        if table.maxSize > size { table.setMaxSize(size) }
    }

    private func lookup(_ index: Int) throws -> (name: String, value: String) {
        if index >= 1 && index <= HPACKStaticTable.entries.count { return HPACKStaticTable.entries[index - 1] }
        if index > HPACKStaticTable.entries.count, let e = table.entry(index - HPACKStaticTable.entries.count) { return e }
        throw HPACKError.invalidIndex(index)
    }

    private func literal(_ bytes: UnsafeRawBufferPointer, prefix: Int, position: inout Int) throws -> (String, String) {
        let index = try HPACKInteger.decode(bytes, prefix: prefix, position: &position)
        let name: String
        if index == 0 {
            name = try string(bytes, position: &position)
        } else {
            name = try lookup(index).name
        }
        let value = try string(bytes, position: &position)
        return (name, value)
    }

    private func string(_ bytes: UnsafeRawBufferPointer, position: inout Int) throws -> String {
        guard position < bytes.count else { throw HPACKError.truncated }
        let huffman = bytes[position] & 0x80 != 0
        let length = try HPACKInteger.decode(bytes, prefix: 7, position: &position)
        guard length <= maxStringLength else { throw HPACKError.stringTooLong(length) }
        guard length <= bytes.count - position else { throw HPACKError.truncated }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])
        position += length
        if huffman {
            return String(decoding: try HPACKHuffman.decode(raw, limit: maxStringLength), as: UTF8.self)
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
