import Foundation

/// Reading S3's listing answers: pure functions of the bytes a server sent, so a hostile or
/// broken server's XML can be fuzzed without a network (Tests/Fuzz/STORAGERESPONSES).
extension S3Driver {
    /// A ListObjectsV2 page: keys with size and time, common prefixes, the continuation
    /// token when the page is truncated. A negative or unreadable size counts as 0.
    static func parseListPage(_ body: Data)
        -> (keys: [(key: String, size: Int64, modTime: Date)], prefixes: [String], next: String?) {
        let xml = String(decoding: body, as: UTF8.self)
        let keys = S3XML.blocks("Contents", in: xml).compactMap { block -> (key: String, size: Int64, modTime: Date)? in
            guard let k = S3XML.first("Key", in: block) else { return nil }
            return (k, max(0, Int64(S3XML.first("Size", in: block) ?? "") ?? 0),
                    isoDate(S3XML.first("LastModified", in: block)) ?? Date())
        }
        let prefixes = S3XML.blocks("CommonPrefixes", in: xml).compactMap { S3XML.first("Prefix", in: $0) }
        let truncated = S3XML.first("IsTruncated", in: xml) == "true"
        return (keys, prefixes, truncated ? S3XML.first("NextContinuationToken", in: xml) : nil)
    }
}
