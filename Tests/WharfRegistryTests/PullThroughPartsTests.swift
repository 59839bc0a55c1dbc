import Foundation
import XCTest
@testable import WharfRegistry

/// The parts of the pull-through cache that need no upstream: challenge parsing, the
/// bounded chunk queue between a fill and one client, and prefix matching.
final class PullThroughPartsTests: XCTestCase {
    func testBearerChallengeParameters() {
        let c = UpstreamClient.parseChallenge(#"Bearer realm="https://auth.example/token?a=1,b",service="registry.example",scope="repository:lib/x:pull""#)
        XCTAssertEqual(c?["scheme"], "bearer")
        XCTAssertEqual(c?["realm"], "https://auth.example/token?a=1,b")
        XCTAssertEqual(c?["service"], "registry.example")
        XCTAssertEqual(c?["scope"], "repository:lib/x:pull")
        XCTAssertEqual(UpstreamClient.parseChallenge(#"Basic realm="up""#)?["scheme"], "basic")
        XCTAssertNil(UpstreamClient.parseChallenge(""))
    }

    func testQueueDeliversInOrderThenTheEnd() async throws {
        let q = ChunkQueue(capacity: 2)
        let producer = Task {
            for i in 0..<10 { await q.push(Data([UInt8(i)])) }
            q.finish()
        }
        var got: [UInt8] = []
        while let chunk = try await q.pop() { got += chunk }
        await producer.value
        XCTAssertEqual(got, Array(0..<10))
    }

    func testQueueHoldsTheProducerWhenFullAndCancelReleasesIt() async throws {
        let q = ChunkQueue(capacity: 2)
        await q.push(Data([1]))
        let returned = Flag()
        let pushed = Task { await q.push(Data([2])); returned.set(); return true }  // fills the queue: waits
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertFalse(returned.isSet, "a push into a full queue returned before the consumer took anything")
        q.cancel()
        let released = await pushed.value
        XCTAssertTrue(released)
        await q.push(Data([3]))  // a cancelled queue takes nothing and never waits
    }

    func testQueuePassesTheProducersError() async {
        struct Broken: Error {}
        let q = ChunkQueue()
        await q.push(Data([1]))
        q.finish(Broken())
        do {
            _ = try await q.pop()
            _ = try await q.pop()
            XCTFail("no error")
        } catch {
            XCTAssertTrue(error is Broken)
        }
    }

    func testPrefixMatchesWholeComponents() {
        let u = PullThroughUpstream(name: "hub", prefix: "hub", remoteURL: "https://r", ttl: 1)
        XCTAssertEqual(u.remoteName(forLocal: "hub/library/nginx"), "library/nginx")
        XCTAssertNil(u.remoteName(forLocal: "hubby/x"))
        XCTAssertNil(u.remoteName(forLocal: "other/hub/x"))
        let all = PullThroughUpstream(name: "default", prefix: "", remoteURL: "https://r", ttl: 1)
        XCTAssertEqual(all.remoteName(forLocal: "a/b"), "a/b")
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
