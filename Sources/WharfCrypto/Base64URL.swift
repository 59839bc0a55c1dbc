import Foundation

/// Base64url without padding (RFC 4648 §5), as JWTs and upload-state tokens use it.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func encode(_ data: Data) -> String { encode([UInt8](data)) }

    /// Decodes base64url with or without padding; nil on any character outside the alphabet.
    public static func decode(_ s: String) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !t.contains("=") || s.hasSuffix("=") else { return nil }
        while t.count % 4 != 0 { t.append("=") }
        guard let d = Data(base64Encoded: t) else { return nil }
        return [UInt8](d)
    }
}
