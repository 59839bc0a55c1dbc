import Foundation
import WharfAPI
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
    /// True when `mediaType` may be served to a client sending `headers`. Runs on every
    /// manifest GET/HEAD, so it scans the header bytes without building strings.
    static func accepts(_ headers: HTTPHeaders, _ mediaType: String) -> Bool {
        if mediaType == MediaTypes.dockerManifest { return true }
        var offered = false
        for field in headers where HTTPHeaders.same(field.name, "Accept") {
            var value = field.value
            var type = mediaType
            let matched = value.withUTF8 { accept in
                type.withUTF8 { scan(accept, for: $0, offered: &offered) }
            }
            if matched { return true }
        }
        return !offered
    }

    /// Walks the comma-separated elements of one `Accept` value; true at the first media
    /// range covering `type`. Sets `offered` when any element names a range (not refused).
    private static func scan(_ accept: UnsafeBufferPointer<UInt8>, for type: UnsafeBufferPointer<UInt8>,
                             offered: inout Bool) -> Bool {
        var start = 0
        while start < accept.count {
            var end = start
            while end < accept.count, accept[end] != UInt8(ascii: ",") { end += 1 }
            if end > start, let range = acceptedRange(UnsafeBufferPointer(rebasing: accept[start..<end])) {
                offered = true
                if covers(range, type) { return true }
            }
            start = end + 1
        }
        return false
    }

    /// The media range of one `Accept` element (its first non-empty `;` part, trimmed), or
    /// nil when that is blank or the element is refused with `q=0`.
    private static func acceptedRange(_ element: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>>? {
        var pieces = element.split(separator: UInt8(ascii: ";")).makeIterator()
        guard let first = pieces.next() else { return nil }
        let range = trimmed(first)
        guard !range.isEmpty else { return nil }
        while let piece = pieces.next() {
            let p = String(decoding: piece, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
            if p.hasPrefix("q="), let q = Double(p.dropFirst(2)), q <= 0 { return nil }
        }
        return range
    }

    private static func trimmed(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] == 0x20 || s[lo] == 0x09 { lo += 1 }
        while hi > lo, s[hi - 1] == 0x20 || s[hi - 1] == 0x09 { hi -= 1 }
        return s[lo..<hi]
    }

    /// `range` is `type`, `*/*` or `major/*` (ASCII case-insensitive).
    private static func covers(_ range: Slice<UnsafeBufferPointer<UInt8>>, _ type: UnsafeBufferPointer<UInt8>) -> Bool {
        if equalFolded(range, type[...]) { return true }
        guard range.count >= 2, range[range.endIndex - 2] == UInt8(ascii: "/"), range[range.endIndex - 1] == UInt8(ascii: "*") else {
            return false
        }
        let prefix = range[range.startIndex..<(range.endIndex - 2)]
        if prefix.count == 1 && prefix.first == UInt8(ascii: "*") { return true }
        // The type's first non-empty `/` component, as the former `split("/").first`.
        guard let major = type[...].split(separator: UInt8(ascii: "/")).first else { return false }
        return equalFolded(prefix, major)
    }

    private static func equalFolded(_ a: Slice<UnsafeBufferPointer<UInt8>>, _ b: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            let lx = (x >= 65 && x <= 90) ? x + 32 : x
            let ly = (y >= 65 && y <= 90) ? y + 32 : y
            if lx != ly { return false }
        }
        return true
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
