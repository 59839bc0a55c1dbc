import Foundation
import WharfFuzzing
import WharfAPI
@testable import WharfRegistry

// Run: Tests/Fuzz/run.sh manifest 600. Replay: swift run wharf-fuzz-manifest FILE|DIRECTORY
// (`@testable`: the manifest parser is internal to WharfRegistry; debug builds allow it, and
// fuzz targets are only built in debug.)

/// The Content-Type a push may carry; the first input byte picks one.
let contentTypes: [String?] = [
    nil, MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList,
    MediaTypes.dockerSchema1, "application/json", "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
]

/// Feeds the bytes to the push-time validator and to the lenient stored-manifest reader.
/// Beyond "no crash": an accepted manifest is of a kind its media type allows, an image has a
/// config and no children, an index has no config, and every descriptor has a valid digest of
/// the right length and a non-negative size. The lenient reader must accept anything.
func fuzzManifest(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    let contentType = contentTypes[Int(first) % contentTypes.count]
    let body = Data(bytes.dropFirst())
    _ = ManifestDocument.summary(of: body)
    guard let doc = try? ManifestDocument.parse(body, contentType: contentType) else { return }
    switch doc.kind {
    case .image:
        guard doc.config != nil, doc.manifests.isEmpty,
              doc.mediaType == MediaTypes.ociManifest || doc.mediaType == MediaTypes.dockerManifest else {
            fatalError("image manifest with config \(String(describing: doc.config)), \(doc.manifests.count) children, type \(doc.mediaType)")
        }
    case .index:
        guard doc.config == nil, doc.layers.isEmpty,
              doc.mediaType == MediaTypes.ociIndex || doc.mediaType == MediaTypes.dockerManifestList else {
            fatalError("index with a config or layers, type \(doc.mediaType)")
        }
    }
    let all = [doc.config, doc.subject].compactMap { $0 } + doc.layers + doc.manifests
    for d in all {
        guard d.size >= 0, !d.mediaType.isEmpty, Digest.parse(d.digest.description) == d.digest else {
            fatalError("accepted descriptor \(d)")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzManifest(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_manifest_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct ManifestFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-manifest", fuzzManifest) }
}
#endif
