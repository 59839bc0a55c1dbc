/// A single `Range: bytes=...` request (RFC 9110 §14.1.2) resolved against a size.
///
/// ```swift
/// ByteRange.parse("bytes=0-99", size: 1000)   // .satisfiable(0...99)
/// ByteRange.parse("bytes=2000-", size: 1000)  // .unsatisfiable
/// ```
enum ByteRange: Equatable {
    /// Serve these bytes (inclusive bounds) with 206.
    case satisfiable(start: Int64, end: Int64)
    /// 416 with `Content-Range: bytes */<size>`.
    case unsatisfiable
    /// Header absent, multi-range or not understood: serve the whole content with 200.
    case whole

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        if spec.contains(",") { return .whole }
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let n = Int64(last), n >= 0 else { return .whole }
            if n == 0 || size == 0 { return .unsatisfiable }
            return .satisfiable(start: max(0, size - n), end: size - 1)
        }
        guard let start = Int64(first), start >= 0 else { return .whole }
        var end = size - 1
        if !last.isEmpty {
            guard let e = Int64(last), e >= start else { return .whole }
            end = min(e, size - 1)
        }
        if start >= size { return .unsatisfiable }
        return .satisfiable(start: start, end: end)
    }
}
