import Foundation

/// Hints for an unknown key: the sibling it was probably meant to be (`adr` → `addr`), or,
/// for a valid key at the wrong depth (a mis-indented `rootdirectory`), where it belongs.
extension ConfigSchema {
    /// `did you mean 'addr'?` when a sibling is within a small edit distance; otherwise
    /// `'rootdirectory' belongs under storage.filesystem` when the key exists elsewhere in
    /// this schema; nil when neither.
    func hint(forUnknown key: String, among siblings: [String]) -> String? {
        let lowered = key.lowercased()
        let limit = lowered.count <= 4 ? 1 : 2
        let close = siblings.map { ($0, Self.editDistance(lowered, $0)) }.filter { $0.1 <= limit }
        if let best = close.min(by: { $0.1 < $1.1 }) { return "did you mean '\(best.0)'?" }
        let homes = parents(ofKey: lowered, at: [])
        guard !homes.isEmpty else { return nil }
        let named = homes.prefix(3).map { $0.isEmpty ? "the top level" : $0.joined(separator: ".") }
        return "'\(lowered)' belongs under \(named.joined(separator: " or "))"
    }

    /// The paths of every section in this schema that has `key` as a child.
    private func parents(ofKey key: String, at path: [String]) -> [[String]] {
        switch self {
        case .noEffect(let inner, _), .planned(let inner, _, _), .either(_, let inner), .list(let inner):
            return inner.parents(ofKey: key, at: path)
        default: break
        }
        guard case .section(let children) = self else { return [] }
        var found = children.contains { $0.0 == key } ? [path] : []
        for (name, child) in children { found += child.parents(ofKey: key, at: path + [name]) }
        return found
    }

    /// Levenshtein distance between two short keys.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
