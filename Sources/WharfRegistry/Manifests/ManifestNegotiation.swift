import Foundation
import WharfHTTP

/// Content negotiation for manifest GET/HEAD by the `Accept` header, as distribution 2.8
/// does it, minus schema1 conversion (Wharf never rewrites a manifest):
///
/// - no `Accept` header: what is stored;
/// - Docker schema2: always served (pre-OCI clients send narrow `Accept` lists and expect it);
/// - a Docker manifest list the client does not accept: its linux/amd64 child, when that
///   child is acceptable (what old single-platform Docker clients rely on);
/// - otherwise a type the client's `Accept` does not cover: 404 MANIFEST_UNKNOWN saying why,
///   so a client that cannot parse the type is never handed it.
///
/// ```swift
/// ManifestNegotiation.accepts(request.headers, MediaTypes.ociIndex)   // false for "Accept: application/vnd.docker.distribution.manifest.v2+json"
/// ```
enum ManifestNegotiation {
    static func accepts(_ headers: HTTPHeaders, _ mediaType: String) -> Bool {
        if mediaType == MediaTypes.dockerManifest { return true }
        let offered = headers.values("Accept").flatMap { $0.split(separator: ",") }.compactMap(acceptedRange)
        if offered.isEmpty { return true }
        let type = mediaType.lowercased()
        let major = type.split(separator: "/").first.map { "\($0)/*" } ?? ""
        return offered.contains { $0 == type || $0 == "*/*" || $0 == major }
    }

    /// The media range of one `Accept` element, or nil when it is empty or refused with `q=0`.
    private static func acceptedRange(_ element: Substring) -> String? {
        let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let range = parts.first, !range.isEmpty else { return nil }
        for p in parts.dropFirst() where p.hasPrefix("q=") {
            if let q = Double(p.dropFirst(2)), q <= 0 { return nil }
        }
        return range
    }

    /// The digest of a manifest list's linux/amd64 child (distribution's default platform).
    static func defaultPlatformChild(ofList data: [UInt8]) -> Digest? {
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any],
              let manifests = obj["manifests"] as? [[String: Any]] else { return nil }
        for m in manifests {
            guard let platform = m["platform"] as? [String: Any],
                  platform["architecture"] as? String == "amd64", platform["os"] as? String == "linux",
                  let digest = (m["digest"] as? String).flatMap(Digest.parse) else { continue }
            return digest
        }
        return nil
    }
}
