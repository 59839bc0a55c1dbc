/// The dynamic table of RFC 7541 §2.3.2 and §4: newest entry first, each entry sized
/// as name + value + 32 bytes, evicted from the oldest end to stay within ``maxSize``.
struct HPACKDynamicTable {
    /// Entries, oldest first (so appending is cheap); index 1 is the last element.
    private var entries: [(name: String, value: String, size: Int)] = []
    private(set) var size = 0
    private(set) var maxSize: Int

    init(maxSize: Int) { self.maxSize = maxSize }

    var count: Int { entries.count }

    /// The entry at 1-based dynamic index `index` (1 is the newest).
    func entry(_ index: Int) -> (name: String, value: String)? {
        guard index >= 1, index <= entries.count else { return nil }
        let e = entries[entries.count - index]
        return (e.name, e.value)
    }

    static func entrySize(_ name: String, _ value: String) -> Int { name.utf8.count + value.utf8.count + 32 }

    /// Adds an entry, evicting old ones; an entry larger than the table empties it (§4.4).
    mutating func add(_ name: String, _ value: String) {
        let s = Self.entrySize(name, value)
        if s > maxSize {
            entries.removeAll()
            size = 0
            return
        }
        evict(toFit: maxSize - s)
        entries.append((name, value, s))
        size += s
    }

    mutating func setMaxSize(_ newSize: Int) {
        maxSize = newSize
        evict(toFit: newSize)
    }

    private mutating func evict(toFit limit: Int) {
        var drop = 0
        while size > limit && drop < entries.count {
            size -= entries[drop].size
            drop += 1
        }
        if drop > 0 { entries.removeFirst(drop) }
    }

    /// The 1-based index of an entry matching name and value, or only the name.
    func find(_ name: String, _ value: String) -> (index: Int, valueMatches: Bool)? {
        var nameMatch: Int?
        for i in stride(from: entries.count - 1, through: 0, by: -1) where entries[i].name == name {
            let index = entries.count - i
            if entries[i].value == value { return (index, true) }
            if nameMatch == nil { nameMatch = index }
        }
        return nameMatch.map { ($0, false) }
    }
}
