import Foundation
import Testing
@testable import WharfHTTPClient

/// Keep-alive reuse, redirects, and bodies that stream with backpressure both ways.
@Suite("HTTPClient keep-alive and streaming")
struct KeepAliveAndStreamingTests {
    @Test func sequentialRequestsShareOneConnection() async throws {
        let server = try LoopbackServer { peer in
            var n = 0
            while peer.readHead() != nil {
                n += 1
                if n % 2 == 0 { peer.respond(200, "n\(n)") } else { peer.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nn\(n)\r\n0\r\n\r\n") }
            }
        }
        defer { server.stop() }
        let client = try HTTPClient()
        for i in 1...10 {
            let response = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/k"))
            #expect(String(decoding: try await response.body.collect(upTo: 100), as: UTF8.self) == "n\(i)")
        }
        #expect(server.accepts == 1)
        #expect(client.idleConnectionCount == 1)
    }

    /// Every request names Wharf (operators pick its requests out of a store's or a proxy's
    /// log), unless the caller set a `User-Agent` of its own or configured none.
    @Test func requestsCarryAUserAgent() async throws {
        let server = try LoopbackServer { peer in
            while let head = peer.readHead() {
                let agents = head.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("user-agent:") }
                peer.respond(200, agents.joined(separator: "|"))
            }
        }
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/ua"
        var quiet = HTTPClientConfiguration()
        quiet.userAgent = nil
        let answers = [
            try await HTTPClient().execute(HTTPClientRequest(method: "GET", url: url)),
            try await HTTPClient().execute(HTTPClientRequest(method: "GET", url: url, headers: ["User-Agent": "custom/1"])),
            try await HTTPClient(configuration: quiet).execute(HTTPClientRequest(method: "GET", url: url)),
        ]
        var bodies: [String] = []
        for answer in answers { bodies.append(String(decoding: try await answer.body.collect(upTo: 200), as: UTF8.self)) }
        #expect(bodies == ["User-Agent: wharf", "User-Agent: custom/1", ""])
    }

    @Test func largeResponseIsReadInBoundedMemory() async throws {
        let total = 128 << 20
        let sent = ByteCounter()
        let server = try LoopbackServer { peer in
            _ = peer.readHead()
            guard peer.send("HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n") else { return }
            let block = Data(repeating: 0x5a, count: 64 << 10)
            var left = total
            while left > 0 {
                let n = min(left, block.count)
                guard peer.send(block.prefix(n)) else { return }
                left -= n
                sent.add(n)
            }
        }
        defer { server.stop() }
        let client = try HTTPClient()
        let response = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/big"))
        #expect(response.body.expectedLength == Int64(total))
        // Nobody reads: the server is held back by the socket buffers, not buffered by us.
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(sent.value < 32 << 20, "the client read ahead \(sent.value) bytes")
        var received = 0
        while let chunk = try await response.body.read(max: 1 << 20) {
            #expect(chunk.count <= 1 << 20)
            received += chunk.count
        }
        #expect(received == total)
    }

    @Test func streamedRequestBodiesWithAndWithoutLength() async throws {
        let server = try LoopbackServer { peer in
            while let head = peer.readHead() {
                let lower = head.lowercased()
                let body: Data
                if lower.contains("transfer-encoding: chunked") {
                    body = peer.readChunkedBody()
                } else {
                    let length = lower.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                    body = peer.readBody(length)
                }
                peer.respond(200, "\(body.count):\(body.reduce(0) { $0 &+ Int($1) })")
            }
        }
        defer { server.stop() }
        let client = try HTTPClient()
        let chunks = (0..<20).map { Data(repeating: UInt8($0), count: 100_000) }
        let expected = "\(2_000_000):\(chunks.reduce(0) { $0 + $1.reduce(0) { $0 &+ Int($1) } })"
        for length in [Int64(2_000_000), nil] {
            let request = HTTPClientRequest(method: "PUT", endpoint: HTTPEndpoint(scheme: "http", host: "127.0.0.1", port: server.port),
                                            target: "/up", body: .stream(length: length) { ChunkSource(chunks) })
            let response = try await client.execute(request)
            #expect(String(decoding: try await response.body.collect(upTo: 100), as: UTF8.self) == expected)
        }
    }

    @Test func redirectsAreOptInAndLimited() async throws {
        let server = try LoopbackServer { peer in
            while let head = peer.readHead() {
                if head.hasPrefix("GET /final") { peer.respond(200, "final") }
                else if head.hasPrefix("GET /loop") { peer.respond(302, "", headers: ["Location: /loop"]) }
                else { peer.respond(301, "", headers: ["Location: /final"]) }
            }
        }
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        let plain = try await HTTPClient().execute(HTTPClientRequest(method: "GET", url: url + "/start"))
        #expect(plain.status == 301)
        var config = HTTPClientConfiguration()
        config.maxRedirects = 3
        let following = try HTTPClient(configuration: config)
        let response = try await following.execute(HTTPClientRequest(method: "GET", url: url + "/start"))
        #expect(response.status == 200)
        #expect(String(decoding: try await response.body.collect(upTo: 100), as: UTF8.self) == "final")
        await #expect { _ = try await following.execute(HTTPClientRequest(method: "GET", url: url + "/loop")) } throws: { error in
            (error as? HTTPClientError)?.kind == .tooManyRedirects
        }
    }

    @Test func headerInjectionIsRefused() async throws {
        var request = try HTTPClientRequest(method: "GET", url: "http://127.0.0.1:9/")
        request.headers.add("X-Evil", "a\r\nInjected: yes")
        await #expect(throws: HTTPClientError.self) { _ = try await HTTPClient().execute(request) }
    }
}

/// Counts bytes across threads.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { lock.withLock { total += n } }
    var value: Int { lock.withLock { total } }
}

/// A request body from chunks in memory, handed out one at a time.
final class ChunkSource: HTTPClientBodySource, @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [Data]
    init(_ chunks: [Data]) { self.chunks = chunks }
    func next() async throws -> Data? { lock.withLock { chunks.isEmpty ? nil : chunks.removeFirst() } }
}
