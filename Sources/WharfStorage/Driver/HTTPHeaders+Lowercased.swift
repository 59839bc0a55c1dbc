import WharfHTTP

extension HTTPHeaders {
    /// The fields as a dictionary with lower-case names (the last of repeated fields wins):
    /// how object-store drivers look answers' headers up.
    var lowercasedDictionary: [String: String] {
        var out: [String: String] = [:]
        for f in self { out[f.name.lowercased()] = f.value }
        return out
    }
}
