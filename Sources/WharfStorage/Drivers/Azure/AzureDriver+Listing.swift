import Foundation

/// Reading Azure's listing answers: pure functions of the bytes a server sent, so a hostile
/// or broken server's XML can be fuzzed without a network (Tests/Fuzz/STORAGERESPONSES).
extension AzureDriver {
    /// A List Blobs page: blobs with size and time, prefixes, the next marker (nil when empty).
    /// A negative or unreadable size counts as 0.
    static func parseListPage(_ body: Data)
        -> (blobs: [(name: String, size: Int64, modTime: Date)], prefixes: [String], next: String?) {
        let xml = String(decoding: body, as: UTF8.self)
        let blobs = S3XML.blocks("Blob", in: xml).compactMap { b -> (name: String, size: Int64, modTime: Date)? in
            guard let n = S3XML.first("Name", in: b) else { return nil }
            return (n, max(0, Int64(S3XML.first("Content-Length", in: b) ?? "") ?? 0),
                    S3Driver.httpDate(S3XML.first("Last-Modified", in: b)) ?? Date())
        }
        let prefixes = S3XML.blocks("BlobPrefix", in: xml).compactMap { S3XML.first("Name", in: $0) }
        let next = S3XML.first("NextMarker", in: xml).flatMap { $0.isEmpty ? nil : $0 }
        return (blobs, prefixes, next)
    }

    /// A Get Block List answer's committed block ids and their total size; nil when a size is
    /// negative or the total overflows (the server's answer cannot be trusted to resume on).
    static func parseBlockList(_ body: Data) -> (ids: [String], bytes: Int64)? {
        let xml = String(decoding: body, as: UTF8.self)
        let blocks = S3XML.blocks("CommittedBlocks", in: xml).first.map { S3XML.blocks("Block", in: $0) } ?? []
        var total: Int64 = 0
        for block in blocks {
            let size = Int64(S3XML.first("Size", in: block) ?? "") ?? 0
            guard size >= 0 else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(size)
            guard !overflow else { return nil }
            total = sum
        }
        return (blocks.compactMap { S3XML.first("Name", in: $0) }, total)
    }
}
