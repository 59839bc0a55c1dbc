/// The `Content-Range` of an upload chunk: `<start>-<end>` (inclusive), as the
/// distribution spec writes it; `bytes=`/`bytes ` prefixes and a `/<total>` suffix are tolerated.
struct ContentRange: Equatable {
    let start: Int64
    let end: Int64

    /// Nil when the header is not a well-formed range with start ≤ end.
    init?(_ header: String) {
        var s = Substring(header.trimmingCharacters(in: .whitespaces))
        if s.lowercased().hasPrefix("bytes=") || s.lowercased().hasPrefix("bytes ") { s = s.dropFirst(6) }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts[0].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isASCII),
              let start = Int64(parts[0].trimmingCharacters(in: .whitespaces)),
              let end = Int64(parts[1].trimmingCharacters(in: .whitespaces)),
              start >= 0, end >= start, end < Int64.max else { return nil }
        self.start = start
        self.end = end
    }

    /// The chunk length, `end - start + 1`.
    var length: Int64 { end - start + 1 }
}
