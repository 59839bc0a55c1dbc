import Foundation
import WharfFuzzing
import WharfHTTP
@testable import WharfStorage

// Run: Tests/Fuzz/run.sh storageresponses 600. Replay: swift run wharf-fuzz-storageresponses FILE|DIRECTORY
// (`@testable`: the parsers are internal to WharfStorage; fuzz targets build in debug.)

/// What an object store's server says is untrusted too: a broken gateway, a proxy's error
/// page or a hostile endpoint. The first byte picks the answer the rest is read as:
/// 0 an S3 listing, 1 an S3 error, 2 an Azure listing, 3 an Azure block list, 4 an Azure
/// error, 5 a GCS listing, 6 a GCS error, 7 the XML escape round trip, 8 and 9 a Keystone
/// v3 and v2 service catalog (the Swift driver's object-store endpoint).
/// Beyond "no crash, no overflow trap": sizes are never negative, a block list's total is the
/// sum of its sizes, and S3XML's decode(escape(s)) gives s back.
func fuzzStorageResponses(_ bytes: [UInt8]) {
    guard let mode = bytes.first else { return }
    let body = Data(bytes.dropFirst())
    switch mode % 10 {
    case 0:
        let page = S3Driver.parseListPage(body)
        if page.keys.contains(where: { $0.size < 0 }) { fatalError("negative S3 size") }
    case 1:
        _ = S3Client.error(from: S3Response(status: 500, headers: [:], body: body)).description
    case 2:
        let page = AzureDriver.parseListPage(body)
        if page.blobs.contains(where: { $0.size < 0 }) { fatalError("negative Azure size") }
        if page.next == "" { fatalError("empty marker kept") }
    case 3:
        if let list = AzureDriver.parseBlockList(body), list.bytes < 0 { fatalError("negative block total") }
    case 4:
        _ = AzureClient.error(from: AzureResponse(status: 503, headers: [:], body: body)).description
    case 5:
        let page = GCSDriver.parseListPage(body)
        if page.items.contains(where: { $0.size < 0 }) { fatalError("negative GCS size") }
    case 6:
        _ = GCSClient.error(from: GCSResponse(status: 429, headers: HTTPHeaders(), body: body)).description
    case 8, 9:
        let catalog = try? JSONSerialization.jsonObject(with: body)
        for region in [nil, "RegionOne"] as [String?] {
            _ = mode % 10 == 8 ? try? SwiftCatalog.v3(catalog, region: region, interface: "public")
                               : try? SwiftCatalog.v2(catalog, region: region, interface: "public")
        }
    default:
        let s = String(decoding: body, as: UTF8.self)
        if S3XML.decode(S3XML.escape(s)) != s { fatalError("XML escape does not round-trip: \(s.debugDescription)") }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzStorageResponses(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_storageresponses_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct StorageResponsesFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-storageresponses", fuzzStorageResponses) }
}
#endif
