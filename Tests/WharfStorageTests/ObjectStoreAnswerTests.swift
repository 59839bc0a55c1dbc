import Foundation
import Testing
@testable import WharfStorage

/// What a broken or hostile object-store server can send back: the listing and block-list
/// parsers never trap and never produce negative sizes (the fuzz target
/// Tests/Fuzz/STORAGERESPONSES explores the same functions further).
@Suite("Object-store answers")
struct ObjectStoreAnswerTests {
    @Test("an Azure block list whose sizes overflow is refused, not a trap")
    func azureBlockListOverflow() {
        let xml = "<BlockList><CommittedBlocks><Block><Name>YQ==</Name><Size>4194304</Size></Block>"
            + "<Block><Name>Yg==</Name><Size>9223372036854775807</Size></Block></CommittedBlocks></BlockList>"
        #expect(AzureDriver.parseBlockList(Data(xml.utf8)) == nil)
        let negative = "<BlockList><CommittedBlocks><Block><Name>YQ==</Name><Size>-1</Size></Block></CommittedBlocks></BlockList>"
        #expect(AzureDriver.parseBlockList(Data(negative.utf8)) == nil)
    }

    @Test("an Azure block list adds up its committed blocks")
    func azureBlockList() throws {
        let xml = "<BlockList><CommittedBlocks><Block><Name>YQ==</Name><Size>10</Size></Block>"
            + "<Block><Name>Yg==</Name><Size>5</Size></Block></CommittedBlocks><UncommittedBlocks>"
            + "<Block><Name>Yw==</Name><Size>99</Size></Block></UncommittedBlocks></BlockList>"
        let list = try #require(AzureDriver.parseBlockList(Data(xml.utf8)))
        #expect(list.ids == ["YQ==", "Yg=="])
        #expect(list.bytes == 15)
    }

    @Test("GCS sizes that are huge, negative or fractional count as 0")
    func gcsSizes() {
        let json = #"{"items":[{"name":"a","size":"12"},{"name":"b","size":1e30},{"name":"c","size":-3},{"name":"d","size":"-4"},{"size":"5"}],"nextPageToken":"t"}"#
        let page = GCSDriver.parseListPage(Data(json.utf8))
        #expect(page.items.map(\.name) == ["a", "b", "c", "d"])
        #expect(page.items.map(\.size) == [12, 0, 0, 0])
        #expect(page.next == "t")
    }

    @Test("GCS sizes of 0 and 1 as JSON numbers are numbers, and a boolean size is 0")
    func gcsSmallNumericSizes() {
        let json = #"{"items":[{"name":"a","size":1},{"name":"b","size":0},{"name":"c","size":true},{"name":"d","size":2}]}"#
        #expect(GCSDriver.parseListPage(Data(json.utf8)).items.map(\.size) == [1, 0, 0, 2])
    }

    @Test("S3 and Azure listings never report negative sizes")
    func negativeSizes() {
        let s3 = "<ListBucketResult><Contents><Key>k</Key><Size>-5</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"
        #expect(S3Driver.parseListPage(Data(s3.utf8)).keys.map(\.size) == [0])
        let azure = "<EnumerationResults><Blobs><Blob><Name>n</Name><Properties><Content-Length>-7</Content-Length></Properties></Blob></Blobs><NextMarker></NextMarker></EnumerationResults>"
        let page = AzureDriver.parseListPage(Data(azure.utf8))
        #expect(page.blobs.map(\.size) == [0])
        #expect(page.next == nil)
    }
}
