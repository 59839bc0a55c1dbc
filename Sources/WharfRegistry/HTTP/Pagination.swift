import WharfAPI
import WharfHTTP

/// `n` and `last` of the tags list and catalog: lexical pages with a `Link` to the next one.
struct Pagination: Sendable {
    /// Page size, or nil for "everything" (tags list without `n`).
    let limit: Int?
    /// Only entries lexically after this one are returned.
    let last: String?

    /// Reads `n` and `last`; `n` must be a non-negative integer (`PAGINATION_NUMBER_INVALID`).
    /// `n` above `maximum` is clamped to it; without `n`, `defaultLimit` applies.
    init(request: HTTPRequest, defaultLimit: Int?, maximum: Int?) throws {
        if let n = request.queryValue("n"), !n.isEmpty {
            guard let value = Int(n), value >= 0 else {
                throw RegistryError(.paginationNumberInvalid, detail: "n must be a non-negative integer")
            }
            limit = maximum.map { min($0, value) } ?? value
        } else {
            limit = defaultLimit
        }
        let l = request.queryValue("last")
        last = (l?.isEmpty ?? true) ? nil : l
    }

    /// The page of `sorted` (already in lexical order) and whether more follow.
    func page(_ sorted: [String]) -> (entries: [String], more: Bool) {
        var rest = sorted[...]
        if let last { rest = rest.drop { $0 <= last } }
        guard let limit else { return (Array(rest), false) }
        return (Array(rest.prefix(limit)), rest.count > limit)
    }

    /// `</path?last=x&n=y>; rel="next"`.
    static func link(path: String, last: String, limit: Int) -> String {
        "<\(path)?last=\(percentEncodeQuery(last))&n=\(limit)>; rel=\"next\""
    }

    static func percentEncodeQuery(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || "-._~/".contains(c) {
                out.append(c)
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
