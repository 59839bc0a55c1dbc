import Foundation
import XCTest
import WharfRegistry
import WharfTestSupport

/// The RESP client against Debian's redis-server started by the test: pipelined replies in
/// order, AUTH and SELECT on every new connection, errors as values, the pool's bound.
final class RedisClientTests: XCTestCase {
    var server: Process?
    var port = 0

    override func setUpWithError() throws {
        guard let binary = ProcessLauncher.firstExecutable(["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) else {
            throw XCTSkip("redis-server is not installed")
        }
        port = try Self.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                       "--requirepass", "pw", "--dir", NSTemporaryDirectory()]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        server = p
        var settings = RedisSettings(host: "127.0.0.1", port: port)
        settings.password = "pw"
        let probe = RedisClient(settings: settings)
        for _ in 0..<100 {
            if (try? waitSync { try await probe.command("PING") }) == .simple("PONG") { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("redis-server did not answer on port \(port)")
    }

    /// A port the kernel just handed out on loopback (closed again for redis-server to take).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw XCTSkip("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
    }

    private func waitSync<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    func client(db: Int = 0, password: String? = "pw", poolSize: Int = 4) -> RedisClient {
        var s = RedisSettings(host: "127.0.0.1", port: port)
        s.password = password
        s.db = db
        s.poolSize = poolSize
        return RedisClient(settings: s)
    }

    func testPipelineAnswersInOrder() async throws {
        let c = client(db: 5)
        var commands: [[String]] = []
        for i in 0..<200 { commands.append(["SET", "k\(i)", String(repeating: "v", count: i * 50)]) }
        for i in 0..<200 { commands.append(["GET", "k\(i)"]) }
        commands.append(["INCR", "k1"])
        let replies = try await c.pipeline(commands)
        XCTAssertEqual(replies.count, 401)
        XCTAssertTrue(replies[0..<200].allSatisfy { $0 == .simple("OK") })
        for i in 0..<200 { XCTAssertEqual(replies[200 + i], .bulk(Array(String(repeating: "v", count: i * 50).utf8))) }
        guard case .error(let message) = replies[400] else { return XCTFail("INCR of a non-number: \(replies[400])") }
        XCTAssertTrue(message.hasPrefix("ERR"), message)
        // SELECT 5 on every connection: db 0 does not have the keys.
        let inDB0 = try await client(db: 0).command("EXISTS", "k1")
        let inDB5 = try await client(db: 5).command("EXISTS", "k1")
        XCTAssertEqual(inDB0, .integer(0))
        XCTAssertEqual(inDB5, .integer(1))
    }

    func testConcurrentCallsShareTheBoundedPool() async throws {
        let c = client(poolSize: 3)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<30 {
                group.addTask {
                    guard let r = try? await c.pipeline([["SET", "c\(i)", "\(i)"], ["GET", "c\(i)"]]) else { return false }
                    return r == [.simple("OK"), .bulk(Array("\(i)".utf8))]
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        // Calls beyond the pool wait for a connection (one I/O thread per connection).
        XCTAssertEqual(results.filter { $0 }.count, 30)
        // At most one connection per I/O thread, each reused.
        XCTAssertLessThanOrEqual(c.connectionsOpened, 3)
    }

    func testWrongPasswordIsAnError() async {
        do {
            _ = try await client(password: "wrong").command("PING")
            XCTFail("AUTH with a wrong password succeeded")
        } catch {
            XCTAssertTrue("\(error)".contains("connection setup refused"), "\(error)")
        }
    }
}

private final class ResultBox<T>: @unchecked Sendable { var result: Result<T, Error>? }
