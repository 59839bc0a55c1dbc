import Foundation
import Testing
import WharfHTTPClient
@testable import WharfStorage

/// SigV4 against published vectors (the AWS SigV4 test suite and the S3 documentation's
/// examples) and against botocore's signer on the same requests.
@Suite("S3 SigV4 signer")
struct S3SignerTests {
    static let docCredentials = S3Signer.Credentials(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let docDate = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z

    @Test func testSuiteGetVanilla() {
        // aws-sig-v4-test-suite/get-vanilla: GET / on example.amazonaws.com, service "service".
        let signer = S3Signer(credentials: .init(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                              region: "us-east-1", service: "service", doubleEncodePath: true)
        let date = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z
        let headers = signer.sign(method: "GET", path: "/", query: [], headers: ["Host": "example.amazonaws.com"],
                                  payloadHash: S3Signer.emptyPayloadHash, date: date)
        #expect(headers["x-amz-date"] == "20150830T123600Z")
        #expect(headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func s3DocumentationGetObjectExample() {
        let signer = S3Signer(credentials: Self.docCredentials, region: "us-east-1")
        let headers = signer.sign(method: "GET", path: "/test.txt", query: [],
                                  headers: ["host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9"],
                                  payloadHash: S3Signer.emptyPayloadHash, date: Self.docDate)
        #expect(headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3DocumentationPresignedExample() {
        let signer = S3Signer(credentials: Self.docCredentials, region: "us-east-1")
        let items = signer.presignedQuery(method: "GET", path: "/test.txt", query: [], host: "examplebucket.s3.amazonaws.com",
                                          expires: 86400, date: Self.docDate)
        #expect(items.last?.0 == "X-Amz-Signature")
        #expect(items.last?.1 == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func encodingRules() {
        #expect(S3Signer.uriEncode("a b+c/d~e_f.g-h", keepSlash: true) == "a%20b%2Bc/d~e_f.g-h")
        #expect(S3Signer.uriEncode("a/b") == "a%2Fb")
        #expect(S3Signer.uriEncode("é") == "%C3%A9")
        #expect(S3Signer.canonicalQuery([("b", "2"), ("a", "z"), ("a", "y"), ("uploads", "")]) == "a=y&a=z&b=2&uploads=")
        #expect(S3Signer.canonicalHeaderValue("  a   b \t c  ") == "a b c")
    }

    /// One request to sign both ways.
    struct Case {
        var method: String
        var host: String
        var path: String
        var query: [(String, String)]
        var headers: [String: String]
        var payloadHash: String
        var token: String?
    }

    static let cases: [Case] = [
        Case(method: "GET", host: "127.0.0.1:9000", path: "/bucket", query: [("list-type", "2"), ("prefix", "docker/registry/v2/"), ("delimiter", "/")],
             headers: [:], payloadHash: S3Signer.emptyPayloadHash),
        Case(method: "PUT", host: "bucket.s3.eu-west-1.amazonaws.com", path: "/docker/registry/v2/repositories/a b/_uploads/x~y+z/data",
             query: [("partNumber", "3"), ("uploadId", "abc/def==")], headers: ["content-length": "5242880"], payloadHash: S3Signer.unsignedPayload),
        Case(method: "POST", host: "s3.amazonaws.com", path: "/bucket/key", query: [("uploads", "")],
             headers: ["x-amz-storage-class": "STANDARD", "x-amz-server-side-encryption": "AES256"], payloadHash: S3Signer.emptyPayloadHash,
             token: "session/token+value="),
        Case(method: "HEAD", host: "rgw.example:8080", path: "/bucket/ünï/çødé", query: [], headers: ["x-amz-meta-note": "  two   spaces "],
             payloadHash: S3Signer.emptyPayloadHash),
    ]

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/botocore_sign.py").path
    }

    /// Runs the botocore script on JSON lines; nil when python3 or botocore is missing.
    static func botocore(_ lines: [[String: Any]]) throws -> [[String: String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var text = Data()
        for line in lines { text += try JSONSerialization.data(withJSONObject: line) + Data("\n".utf8) }
        input.fileHandleForWriting.write(text)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "botocore_sign.py failed (is PyPI botocore installed?)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String] ?? [:]
        }
    }

    static func urlText(_ c: Case) -> String {
        var s = "https://\(c.host)\(S3Signer.uriEncode(c.path, keepSlash: true))"
        if !c.query.isEmpty { s += "?" + c.query.map { "\(S3Signer.uriEncode($0.0))=\(S3Signer.uriEncode($0.1))" }.joined(separator: "&") }
        return s
    }

    @Test func matchesBotocoreHeaderSigning() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let (amzDate, _) = S3Signer.timestamps(date)
        var specs: [[String: Any]] = []
        for c in Self.cases {
            var spec: [String: Any] = ["method": c.method, "url": Self.urlText(c), "headers": c.headers, "payloadHash": c.payloadHash,
                                       "date": amzDate, "accessKey": "AKIDTEST", "secretKey": "secret/key+1", "region": "eu-west-1"]
            if let t = c.token { spec["token"] = t }
            specs.append(spec)
        }
        let theirs = try Self.botocore(specs)
        #expect(theirs.count == Self.cases.count)
        for (c, their) in zip(Self.cases, theirs) {
            let signer = S3Signer(credentials: .init(accessKey: "AKIDTEST", secretKey: "secret/key+1", sessionToken: c.token), region: "eu-west-1")
            var h = c.headers
            h["host"] = c.host
            let ours = signer.sign(method: c.method, path: c.path, query: c.query, headers: h, payloadHash: c.payloadHash, date: date)
            #expect(ours["Authorization"] == their["authorization"], "\(c.method) \(c.path)")
        }
    }

    @Test func matchesBotocorePresigning() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let (amzDate, _) = S3Signer.timestamps(date)
        let paths = ["/bucket/docker/registry/v2/blobs/sha256/ab/abcd/data", "/bucket/a b/ü+~"]
        let theirs = try Self.botocore(paths.map {
            ["presign": true, "method": "GET", "url": "http://127.0.0.1:9000" + S3Signer.uriEncode($0, keepSlash: true),
             "expires": 1200, "date": amzDate, "accessKey": "AKIDTEST", "secretKey": "secret/key+1", "region": "us-east-1"]
        })
        let signer = S3Signer(credentials: .init(accessKey: "AKIDTEST", secretKey: "secret/key+1"), region: "us-east-1")
        for (p, their) in zip(paths, theirs) {
            let items = signer.presignedQuery(method: "GET", path: p, query: [], host: "127.0.0.1:9000", expires: 1200, date: date)
            let theirSignature = URLComponents(string: their["url"] ?? "")?.queryItems?.first { $0.name == "X-Amz-Signature" }?.value
            #expect(theirSignature != nil)
            #expect(items.last?.1 == theirSignature, "\(p)")
        }
    }
}

/// Which payload hash a request is signed with: the body's over plain http, unsigned over TLS.
@Suite("S3 payload signing")
struct S3PayloadSigningTests {
    func client(_ scheme: String) throws -> S3Client {
        let signer = S3Signer(credentials: S3SignerTests.docCredentials, region: "us-east-1")
        return S3Client(scheme: scheme, endpointHost: "127.0.0.1:9", bucket: "b", virtualHosted: false,
                        signer: signer, http: try HTTPClient())
    }

    @Test func plainHTTPSignsTheBodyHash() throws {
        let body = Data("part bytes".utf8)
        let headers = try client("http").signedHeaders("PUT", key: "k", query: [("partNumber", "1")], headers: [:], body: body)
        #expect(headers["x-amz-content-sha256"] == S3Signer.sha256Hex(body))
        #expect(headers["x-amz-content-sha256"] != S3Signer.unsignedPayload)
        // The hash is part of the signature: other bytes sign differently.
        let other = try client("http").signedHeaders("PUT", key: "k", query: [("partNumber", "1")], headers: [:],
                                                     body: Data("part bytez".utf8), date: Date(timeIntervalSince1970: 0))
        let same = try client("http").signedHeaders("PUT", key: "k", query: [("partNumber", "1")], headers: [:],
                                                    body: body, date: Date(timeIntervalSince1970: 0))
        #expect(other["Authorization"] != same["Authorization"])
    }

    @Test func tlsSendsUnsignedPayloadAndEmptyBodiesTheEmptyHash() throws {
        let https = try client("https")
        #expect(https.signedHeaders("PUT", key: "k", query: [], headers: [:], body: Data("x".utf8))["x-amz-content-sha256"] == S3Signer.unsignedPayload)
        #expect(https.signedHeaders("GET", key: "k", query: [], headers: [:], body: nil)["x-amz-content-sha256"] == S3Signer.emptyPayloadHash)
        #expect(try client("http").signedHeaders("PUT", key: "k", query: [], headers: [:], body: Data())["x-amz-content-sha256"] == S3Signer.emptyPayloadHash)
    }
}
