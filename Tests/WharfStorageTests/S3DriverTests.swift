import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import WharfStorage
import WharfTestSupport

/// S3-specific behaviour on moto (see ``MotoServer``): multipart parts and resuming,
/// server-side copies, paging, multi-delete, presigned URLs, configuration and errors.
@Suite("S3Driver", .enabled(if: MotoServer.endpoint != nil))
struct S3DriverTests {
    static let MiB = 1 << 20

    /// The ETag of the object at `path` (multipart objects have `"<md5>-<parts>"`).
    func etag(_ d: S3Driver, _ path: String) async throws -> String {
        try await d.client.send("HEAD", key: d.key(path)).headers["etag"] ?? ""
    }

    func openUploads(_ d: S3Driver) async throws -> [String] {
        let r = try await d.client.send("GET", key: "", query: [("uploads", "")])
        return S3XML.all("UploadId", in: String(decoding: r.body, as: UTF8.self))
    }

    @Test func writerUploadsPartsAndResumesFromAnyWriter() async throws {
        let d = try await MotoServer.freshDriver(rootDirectory: "root")
        let content = testBytes(17 * Self.MiB + 123, seed: 9)
        // Session 1: 12 MiB + 1 byte in 1 MiB writes → two 5 MiB parts, closed with a small last part.
        let w1 = try await d.writer("/up/data", append: false)
        var offset = 0
        for size in [Self.MiB, 4 * Self.MiB, 3 * Self.MiB, 4 * Self.MiB, 1] {
            try await w1.write(content[offset..<offset + size])
            offset += size
        }
        #expect(w1.size == Int64(offset))
        try await w1.close()
        #expect(try await d.stat("/up/data").size == Int64(offset))
        #expect(try await etag(d, "/up/data").hasSuffix("-3\""))
        // Session 2 (as another replica would): resumes by server-side part copy, adds 5 MiB + 122.
        let w2 = try await d.writer("/up/data", append: true)
        #expect(w2.size == Int64(offset))
        try await w2.write(content[offset...])
        try await w2.commit()
        #expect(try await d.getContent("/up/data") == content)
        #expect(try await openUploads(d).isEmpty)
        // Resuming and closing without writing leaves the object as it was.
        let w3 = try await d.writer("/up/data", append: true)
        try await w3.close()
        #expect(try await d.stat("/up/data").size == Int64(content.count))
        #expect(try await openUploads(d).isEmpty)
    }

    @Test func smallContentResumesThroughTheBuffer() async throws {
        let d = try await MotoServer.freshDriver()
        let w = try await d.writer("/small", append: false)
        try await w.write(Data("hello ".utf8))
        try await w.close()
        let w2 = try await d.writer("/small", append: true)
        #expect(w2.size == 6)
        try await w2.write(Data("world".utf8))
        try await w2.commit()
        #expect(try await d.getContent("/small") == Data("hello world".utf8))
        // An empty upload is an empty object, resumable.
        let e = try await d.writer("/empty", append: false)
        try await e.close()
        #expect(try await d.stat("/empty").size == 0)
        #expect(try await d.writer("/empty", append: true).size == 0)
    }

    @Test func readerStreamsOneGetFromTheOffsetAndReusesTheConnection() async throws {
        let d = try await MotoServer.freshDriver()
        let content = testBytes(3 * Self.MiB + 12345, seed: 4)
        try await d.putContent("/r", content)
        let r = try await d.reader("/r", offset: Int64(Self.MiB + 3))
        var got = Data()
        while let chunk = try await r.next() {
            #expect(chunk.count <= d.readChunkSize)
            got.append(chunk)
        }
        #expect(got == content[(Self.MiB + 3)...])
        #expect(try await r.next() == nil)
        // Closed early, the half-read answer's connection is dropped, not reused.
        let early = try await d.reader("/r", offset: 0)
        #expect(try await early.next()?.count == d.readChunkSize)
        early.close()
        #expect(try await early.next() == nil)
        #expect(try await d.getContent("/r") == content)
        // At the end: nothing to read, no request.
        let atEnd = try await d.reader("/r", offset: Int64(content.count))
        #expect(try await atEnd.next() == nil)
    }

    @Test func writerSendsWholePartsOfALargeWriteUncopiedAndResumesByCopyFromFiveMiB() async throws {
        let d = try await MotoServer.freshDriver()
        let content = testBytes(13 * Self.MiB + 7, seed: 5)
        let w = try await d.writer("/w", append: false)
        try await w.write(content[..<(Self.MiB)])
        try await w.write(content[Self.MiB..<(12 * Self.MiB)])   // completes part 1, part 2 whole from the slice
        try await w.close()
        #expect(try await etag(d, "/w").hasSuffix("-3\""))
        let w2 = try await d.writer("/w", append: true)
        try await w2.write(content[(12 * Self.MiB)...])
        try await w2.commit()
        #expect(try await d.getContent("/w") == content)
        #expect(try await openUploads(d).isEmpty)
    }

    @Test func appendsGrowASegmentManifestThatMovesIntoAPlainObject() async throws {
        let d = try await MotoServer.freshDriver(rootDirectory: "root")
        let content = testBytes(17 * Self.MiB + 9, seed: 6)
        let w0 = try await d.writer("/u/data", append: false)
        try await w0.close()
        // Sessions of 6 MiB, 2 MiB (a small last segment, merged by the next), 9 MiB + 9.
        var offset = 0
        for size in [6 * Self.MiB, 2 * Self.MiB, 9 * Self.MiB + 9] {
            let w = try await d.writer("/u/data", append: true)
            #expect(w.size == Int64(offset))
            try await w.write(content[offset..<offset + size])
            try await w.close()
            offset += size
            #expect(try await d.stat("/u/data").size == Int64(offset))
        }
        let m = try await d.manifest("/u/data")
        #expect(m.segments.map(\.size) == [Int64(6 * Self.MiB), Int64(11 * Self.MiB + 9)])
        // Read from any offset, across segments; the segments are no directory of their own.
        let r = try await d.reader("/u/data", offset: Int64(5 * Self.MiB))
        var got = Data()
        while let chunk = try await r.next() { got.append(chunk) }
        #expect(got == content[(5 * Self.MiB)...])
        #expect(try await d.getContent("/u/data") == content)
        #expect(try await d.list("/u") == ["/u/data"])
        // A session that writes nothing changes nothing.
        try await d.writer("/u/data", append: true).close()
        #expect(try await d.manifest("/u/data") == m)
        // The move is one server-side multipart copy into a plain object; the segments go.
        try await d.move(from: "/u/data", to: "/blob")
        #expect(try await d.getContent("/blob") == content)
        #expect(try await etag(d, "/blob").hasSuffix("-2\""))
        let left = try await d.listPage(prefix: "root/u/", delimiter: nil, token: nil, maxKeys: 100).keys
        #expect(left.isEmpty)
        // Cancel removes the manifest and every segment.
        let c = try await d.writer("/blob", append: true)   // a plain object from 5 MiB: resumed by part copy
        try await c.cancel()
        let w1 = try await d.writer("/v/data", append: false)
        try await w1.close()
        let w2 = try await d.writer("/v/data", append: true)
        try await w2.write(testBytes(1000))
        try await w2.close()
        let w3 = try await d.writer("/v/data", append: true)
        try await w3.cancel()
        #expect(try await d.listPage(prefix: "root/v/", delimiter: nil, token: nil, maxKeys: 100).keys.isEmpty)
    }

    @Test func cancelAbortsTheMultipartUpload() async throws {
        let d = try await MotoServer.freshDriver()
        let w = try await d.writer("/c", append: false)
        try await w.write(testBytes(6 * Self.MiB))
        #expect(try await openUploads(d).count == 1)
        try await w.cancel()
        #expect(try await openUploads(d).isEmpty)
        await #expect(throws: StorageError.pathNotFound("/c")) { try await d.stat("/c") }
    }

    @Test func deleteAbortsMultipartUploadsLeftOpenBelowThePath() async throws {
        let d = try await MotoServer.freshDriver(rootDirectory: "root")
        try await d.putContent("/up/u1/startedat", Data("t".utf8))
        // a writer that died after its first part: the multipart upload stays open
        let w = try await d.writer("/up/u1/data", append: false)
        try await w.write(testBytes(5 * Self.MiB))
        let other = try await d.writer("/up2/data", append: false)
        try await other.write(testBytes(5 * Self.MiB))
        #expect(try await openUploads(d).count == 2)
        try await d.delete("/up/u1")
        #expect(try await openUploads(d).count == 1, "only the upload below /up/u1 is aborted")
        await #expect(throws: StorageError.pathNotFound("/up/u1")) { try await d.list("/up/u1") }
        try await other.cancel()
    }

    @Test func encryptionAndStorageClassHeaders() async throws {
        let plain = try await MotoServer.freshDriver()
        let bucket = plain.configuration.bucket
        let d = try S3Driver(configuration: try S3Configuration(
            parameters: ["bucket": bucket, "regionendpoint": MotoServer.endpoint!, "accesskey": "a", "secretkey": "b",
                         "encrypt": "true", "storageclass": "REDUCED_REDUNDANCY"], environment: [:]))
        try await d.putContent("/enc", Data("secret".utf8))
        let w = try await d.writer("/enc-multipart", append: false)
        try await w.write(testBytes(6 * Self.MiB))
        try await w.commit()
        for path in ["/enc", "/enc-multipart"] {
            let h = try await d.client.send("HEAD", key: d.key(path)).headers
            #expect(h["x-amz-server-side-encryption"] == "AES256", "\(path)")
            #expect(h["x-amz-storage-class"] == "REDUCED_REDUNDANCY", "\(path)")
        }
    }

    @Test func moveAboveTheCopyLimitIsAMultipartCopy() async throws {
        let d = try await MotoServer.freshDriver()
        d.maxCopyPart = 6 * Int64(Self.MiB)
        let content = testBytes(11 * Self.MiB + 5, seed: 4) // two copied parts of ~5.5 MiB
        try await d.putContent("/src", content)
        try await d.move(from: "/src", to: "/a/b/dst")
        #expect(try await d.getContent("/a/b/dst") == content)
        #expect(try await etag(d, "/a/b/dst").hasSuffix("-2\""))
        await #expect(throws: StorageError.pathNotFound("/src")) { try await d.stat("/src") }
        // below the limit: one CopyObject
        try await d.putContent("/s2", Data("x".utf8))
        try await d.move(from: "/s2", to: "/d2")
        #expect(try await d.getContent("/d2") == Data("x".utf8))
    }

    @Test func listAndDeleteFollowPagesAndBatches() async throws {
        let d = try await MotoServer.freshDriver(rootDirectory: "r")
        d.listPageSize = 3
        d.deleteBatchSize = 4
        for i in 0..<10 { try await d.putContent("/dir/f\(i)", Data([UInt8(i)])) }
        for i in 0..<4 { try await d.putContent("/dir/sub\(i)/x", Data()) }
        let listed = try await d.list("/dir")
        #expect(listed == ((0..<10).map { "/dir/f\($0)" } + (0..<4).map { "/dir/sub\($0)" }).sorted())
        try await d.delete("/dir")
        await #expect(throws: StorageError.pathNotFound("/dir")) { try await d.list("/dir") }
        #expect(try await d.list("/") == [])
    }

    @Test func presignedURLServesTheBytes() async throws {
        let d = try await MotoServer.freshDriver(rootDirectory: "root")
        let content = testBytes(70_000)
        try await d.putContent("/blobs/data", content)
        let text = try #require(try await d.redirectURL("/blobs/data", method: "GET"))
        #expect(text.contains("X-Amz-Expires=1200"))
        let (data, response) = try await URLSession.shared.data(from: URL(string: text)!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(data == content)
        #expect(try await d.redirectURL("/blobs/data", method: "PUT") == nil)
    }

    @Test func missingBucketAndDeadEndpointAreUnavailableWithTheCause() async throws {
        let missing = try S3Driver(configuration: try S3Configuration(
            parameters: ["bucket": "no-such-bucket", "regionendpoint": MotoServer.endpoint!, "accesskey": "a", "secretkey": "b"],
            environment: [:]))
        do {
            _ = try await missing.getContent("/x")
            Issue.record("read from a missing bucket")
        } catch let StorageError.unavailable(driver, message) {
            #expect(driver == "s3" && message.contains("NoSuchBucket"), "\(message)")
        }
        let dead = try S3Driver(configuration: try S3Configuration(
            parameters: ["bucket": "b", "regionendpoint": "http://127.0.0.1:9", "accesskey": "a", "secretkey": "b"],
            environment: [:]), maxAttempts: 2)
        do {
            try await dead.putContent("/x", Data())
            Issue.record("write to a dead endpoint")
        } catch let StorageError.unavailable(_, message) {
            #expect(message.contains("ConnectionRefused"), "\(message)")
        }
    }
}

/// `storage.s3` parameters as distribution reads them.
@Suite("S3Configuration")
struct S3ConfigurationTests {
    @Test func endpointsSchemesAndDefaults() throws {
        let env = ["AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk", "AWS_SESSION_TOKEN": "tok"]
        let aws = try S3Configuration(parameters: ["bucket": "b", "region": "eu-west-1"], environment: env)
        #expect(aws.scheme == "https" && aws.endpointHost == "s3.eu-west-1.amazonaws.com")
        #expect(aws.chunkSize == 10 << 20 && aws.redirectExpiry == 1200 && aws.storageClass == "STANDARD")
        #expect(aws.credentials == .init(accessKey: "ak", secretKey: "sk", sessionToken: "tok"))
        let rgw = try S3Configuration(parameters: ["bucket": "b", "regionendpoint": "rgw.example:8080", "secure": "false",
                                                   "rootdirectory": "/reg/", "storageclass": "none", "virtualhostedstyle": "true"],
                                      environment: env)
        #expect(rgw.scheme == "http" && rgw.endpointHost == "rgw.example:8080" && rgw.rootDirectory == "reg")
        #expect(rgw.storageClass == nil && rgw.virtualHosted)
        let secure = try S3Configuration(parameters: ["bucket": "b", "regionendpoint": "https://s3.local/"], environment: env)
        #expect(secure.scheme == "https" && secure.endpointHost == "s3.local")
    }

    @Test func credentialsPrecedence() throws {
        let env = ["REGISTRY_STORAGE_S3_ACCESSKEY": "reg-a", "REGISTRY_STORAGE_S3_SECRETKEY": "reg-s",
                   "AWS_ACCESS_KEY_ID": "aws-a", "AWS_SECRET_ACCESS_KEY": "aws-s"]
        #expect(try S3Configuration(parameters: ["bucket": "b", "accesskey": "p-a", "secretkey": "p-s"], environment: env).credentials.accessKey == "p-a")
        #expect(try S3Configuration(parameters: ["bucket": "b"], environment: env).credentials.accessKey == "reg-a")
        #expect(try S3Configuration(parameters: ["bucket": "b"], environment: ["AWS_ACCESS_KEY_ID": "aws-a", "AWS_SECRET_ACCESS_KEY": "aws-s"]).credentials.accessKey == "aws-a")
        #expect(throws: StorageError.self) { try S3Configuration(parameters: ["bucket": "b"], environment: [:]) }
    }

    @Test func badParametersAreClearErrors() {
        let env = ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"]
        for bad in [["region": "x"], ["bucket": "b", "chunksize": "1048576"], ["bucket": "b", "secure": "maybe"],
                    ["bucket": "b", "regionendpoint": "http://h/path"], ["bucket": "b", "redirectexpiry": "0"]] {
            #expect(throws: StorageError.self, "\(bad)") { try S3Configuration(parameters: bad, environment: env) }
        }
    }

    @Test func keysFollowDistributionLayout() throws {
        let d = try S3Driver(configuration: try S3Configuration(parameters: ["bucket": "b", "rootdirectory": "/registry", "accesskey": "a", "secretkey": "s"], environment: [:]))
        #expect(d.key("/docker/registry/v2/blobs") == "registry/docker/registry/v2/blobs")
        #expect(d.key("/") == "registry")
        #expect(d.directoryPrefix("/") == "registry/")
        #expect(d.path(ofKey: "registry/docker/x") == "/docker/x")
        let bare = try S3Driver(configuration: try S3Configuration(parameters: ["bucket": "b", "accesskey": "a", "secretkey": "s"], environment: [:]))
        #expect(bare.key("/a/b") == "a/b" && bare.directoryPrefix("/") == "")
        #expect(bare.client.path(forKey: "a/b") == "/b/a/b")
    }
}
