/// The scheme and credential of an `Authorization` header value, split in one pass over
/// its UTF-8 bytes.
///
/// This runs on every protected request, cached credential or not: Foundation's
/// `trimmingCharacters(in:)` over a ~300-byte JWT was most of the cost of auth on a hot
/// manifest GET (the bench profile, bench/RESULTS.md), so no `CharacterSet` here.
///
/// ```swift
/// AuthorizationHeader("Bearer  abc.def.ghi ")   // scheme "bearer", credential "abc.def.ghi", dots 2
/// ```
struct AuthorizationHeader {
    /// The scheme, lower-cased (`bearer`, `basic`).
    let scheme: String
    /// The credential, without surrounding spaces or tabs.
    let credential: Substring
    /// How many `.` the credential holds (a JWT has exactly two).
    let dots: Int

    /// Nil for an empty value or one without a space between scheme and credential.
    init?(_ value: String) {
        let bytes = value.utf8
        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        guard var start = bytes.firstIndex(where: { !isBlank($0) }) else { return nil }
        guard let space = bytes[start...].firstIndex(where: isBlank) else { return nil }
        scheme = String(Substring(bytes[start..<space])).lowercased()
        start = bytes.index(after: space)
        guard let first = bytes[start...].firstIndex(where: { !isBlank($0) }),
              let last = bytes[first...].lastIndex(where: { !isBlank($0) }) else {
            credential = ""
            dots = 0
            return
        }
        let range = first...last
        credential = Substring(bytes[range])
        dots = bytes[range].reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) }
    }
}
