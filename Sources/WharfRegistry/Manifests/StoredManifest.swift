import Foundation
import WharfAPI

/// A manifest as stored: its exact bytes, digest and what serving it needs.
struct StoredManifest: Sendable {
    /// The parts of a manifest the registry answers with (Content-Type, referrers).
    struct Summary: Sendable {
        var mediaType: String
        var subject: Digest?
        /// The manifest's `artifactType`, else its config's media type.
        var artifactType: String?
        var annotations: [String: String]?
    }

    let digest: Digest
    let data: Data
    let summary: Summary
}
