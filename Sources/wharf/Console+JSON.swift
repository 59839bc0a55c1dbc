import Foundation

extension Console {
    /// Prints `value` as one line of JSON with sorted keys (the `--output json` summaries).
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        out(String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self))
    }
}
