/// Why a header block could not be decoded (RFC 7541). Every case is a
/// COMPRESSION_ERROR for the HTTP/2 connection except ``headerListTooLarge``, after
/// which the decoder's table is still consistent and only the one request is refused.
public enum HPACKError: Error, Equatable, Sendable {
    /// The block ended inside a representation.
    case truncated
    /// An integer longer than the decoder accepts.
    case integerOverflow
    /// An index that is neither in the static nor in the dynamic table.
    case invalidIndex(Int)
    /// A string literal longer than the decoder accepts.
    case stringTooLong(Int)
    /// Invalid Huffman data: EOS in the data, padding longer than 7 bits or not all ones.
    case invalidHuffman
    /// A dynamic table size update above the limit, or one not at the start of a block.
    case invalidTableSizeUpdate(Int)
    /// The decoded header list exceeds the limit (RFC 9113 SETTINGS_MAX_HEADER_LIST_SIZE).
    case headerListTooLarge
}
