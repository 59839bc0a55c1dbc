import Foundation
import WharfSystem

/// Reading GCS's JSON answers: pure functions of the bytes a server sent, so a hostile or
/// broken server's JSON can be fuzzed without a network (Tests/Fuzz/STORAGERESPONSES).
extension GCSDriver {
    /// An objects.list page: names with sizes and times (`updated`; now when absent or
    /// unreadable), prefixes, the next page token. Items without a string name, and a body
    /// that is not a JSON object, contribute nothing.
    static func parseListPage(_ body: Data) -> (items: [(name: String, size: Int64, modTime: Date)], prefixes: [String], next: String?) {
        let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        let items = (json["items"] as? [[String: Any]] ?? []).compactMap { item -> (name: String, size: Int64, modTime: Date)? in
            guard let name = item["name"] as? String else { return nil }
            return (name, size(item["size"]), S3Driver.isoDate(item["updated"] as? String) ?? Date())
        }
        return (items, json["prefixes"] as? [String] ?? [], json["nextPageToken"] as? String)
    }

    /// An object resource's `size`: a decimal string in the API (a number from some
    /// emulators, never a boolean). Negative, out-of-range or unreadable sizes count as 0.
    static func size(_ value: Any?) -> Int64 {
        if let s = value as? String { return max(0, Int64(s) ?? 0) }
        return JSONNumber.nonNegativeInt64(value) ?? 0
    }
}
