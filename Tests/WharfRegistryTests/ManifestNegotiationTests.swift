import Foundation
import WharfAPI
import XCTest
import WharfHTTP
@testable import WharfRegistry

/// `ManifestNegotiation.accepts` on the raw `Accept` header bytes.
final class ManifestNegotiationTests: XCTestCase {
    func accepts(_ values: [String], _ type: String = MediaTypes.ociManifest) -> Bool {
        ManifestNegotiation.accepts(HTTPHeaders(values.map { ("Accept", $0) }), type)
    }

    func testRangesWildcardsAndRefusals() {
        XCTAssertTrue(accepts([]))
        XCTAssertTrue(accepts([""]), "no media range at all: what is stored")
        XCTAssertTrue(accepts([" , ,"]))
        XCTAssertTrue(accepts([MediaTypes.ociManifest]))
        XCTAssertTrue(accepts([MediaTypes.ociManifest.uppercased()]), "case-insensitive")
        XCTAssertTrue(accepts(["text/plain,\t\(MediaTypes.ociManifest) ;q=0.5"]))
        XCTAssertTrue(accepts(["text/plain", MediaTypes.ociManifest]), "any Accept field")
        XCTAssertTrue(accepts(["*/*"]))
        XCTAssertTrue(accepts(["Application/*"]))
        XCTAssertFalse(accepts(["text/*"]))
        XCTAssertFalse(accepts(["text/plain"]))
        XCTAssertFalse(accepts(["\(MediaTypes.ociManifest);q=0, text/plain"]))
        XCTAssertFalse(accepts(["\(MediaTypes.ociManifest); Q=0.000, text/plain"]))
        XCTAssertTrue(accepts(["\(MediaTypes.ociManifest); q=0.001"]))
        XCTAssertTrue(accepts(["\(MediaTypes.ociManifest);q=0"]), "every range refused: nothing offered, so what is stored")
        XCTAssertTrue(accepts(["text/plain"], MediaTypes.dockerManifest), "schema2 is always served")
    }
}
