import Foundation

/// What an appended-to file on S3 is while it grows: a small manifest object at the file's
/// key naming the segment objects below it (`<key>/seg-<token>`), in order.
///
/// Each resumed writer session (each PATCH of a chunked upload, on any replica) uploads
/// its bytes once, as one new segment, and rewrites the manifest; nothing written earlier
/// is copied again. Every segment but the last is at least S3's 5 MiB minimum part, so a
/// move (the commit of an upload) is one server-side multipart copy of the segments. A
/// last segment below 5 MiB is read back by the next session and merged into its segment.
///
/// The manifest carries ``metadataHeader`` (the content's size), so a HEAD tells a
/// manifest from a plain object and gives the size without reading it.
struct S3SegmentManifest: Equatable {
    /// One segment: its name below the file's key and its size.
    struct Segment: Equatable {
        var name: String
        var size: Int64
    }

    /// The user-metadata header a manifest object carries; its value is the content's size.
    static let metadataHeader = "x-amz-meta-wharf-segments"
    private static let magic = "wharf-s3-segments 1"

    var segments: [Segment]

    /// The size of the content (the segments together).
    var size: Int64 { segments.reduce(0) { $0 + $1.size } }

    /// The driver path of a segment of the file at `path`.
    static func segmentPath(_ path: String, _ name: String) -> String { path + "/" + name }

    /// A fresh segment name (random, so sessions on different replicas never collide).
    static func newSegmentName() -> String {
        "seg-" + (0..<4).map { _ in String(format: "%04x", UInt16.random(in: .min ... .max)) }.joined()
    }

    /// The manifest's body.
    func encoded() -> Data {
        var text = Self.magic + "\n"
        for s in segments { text += "\(s.size) \(s.name)\n" }
        return Data(text.utf8)
    }

    /// A manifest from its body; nil when it is not one (bad input is rejected, never trusted).
    init?(decoding data: Data) {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == Substring(Self.magic), lines.count <= 100_001 else { return nil }
        var out: [Segment] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let size = Int64(fields[0]), size >= 0, fields[1].hasPrefix("seg-"),
                  StoragePath.isValid("/" + fields[1]), !fields[1].contains("/") else { return nil }
            out.append(Segment(name: String(fields[1]), size: size))
        }
        segments = out
    }

    init(segments: [Segment]) { self.segments = segments }
}
