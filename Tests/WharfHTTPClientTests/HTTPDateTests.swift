import Foundation
import Testing
@testable import WharfHTTPClient

/// Dates from servers: IMF-fixdate and RFC 3339 read exactly, and hostile text refused
/// without reaching Foundation's DateFormatter, which traps on some non-ASCII input.
@Suite("HTTPDate")
struct HTTPDateTests {
    @Test("IMF-fixdate is read exactly, across months, leap days and eras")
    func imfFixdate() throws {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT")?.timeIntervalSince1970 == 784111777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT")?.timeIntervalSince1970 == 0)
        #expect(HTTPDate.parse("Tue, 29 Feb 2028 23:59:59 GMT")?.timeIntervalSince1970 == 1835481599)
        #expect(HTTPDate.parse("Wed, 02 Dec 2026 10:00:00 GMT")?.timeIntervalSince1970 == 1796205600)
    }

    @Test("anything else is nil, the input that trapped DateFormatter included")
    func refused() {
        let trapped = "Wed, 02 Dec 2026 10:00:00" + String(decoding: [0xd6, 0xb8, 0xb2, 0xab], as: UTF8.self)
        for text in [trapped, "", "Wed, 02 Dec 2026 10:00:00 UTC", "Wed, 32 Dec 2026 10:00:00 GMT",
                     "Xyz, 02 Dec 2026 10:00:00 GMT", "Wed, 02 Foo 2026 10:00:00 GMT", "Wed, 02 Dec 2026 24:00:00 GMT",
                     "Wed, 0x Dec 2026 10:00:00 GMT", "120"] {
            #expect(HTTPDate.parse(text) == nil, "\(text.debugDescription)")
        }
        #expect(HTTPDate.parseRFC3339("2026-11-20T10:00:00" + String(decoding: [0xd6, 0xb8], as: UTF8.self)) == nil)
        #expect(HTTPDate.parseRFC3339(String(repeating: "9", count: 100)) == nil)
    }

    @Test("RFC 3339 with and without fractions")
    func rfc3339() {
        #expect(HTTPDate.parseRFC3339("1970-01-01T00:00:10Z")?.timeIntervalSince1970 == 10)
        #expect(HTTPDate.parseRFC3339("1970-01-01T00:00:10.500Z")?.timeIntervalSince1970 == 10.5)
    }

    @Test("a hostile Retry-After falls back to backoff instead of trapping")
    func retryAfter() {
        let policy = HTTPRetryPolicy(maxAttempts: 3, retryStatuses: [503])
        let hostile = "Wed, 02 Dec 2026 10:00:00" + String(decoding: [0xd6, 0xb8, 0xb2, 0xab], as: UTF8.self)
        #expect(policy.delay(afterAttempt: 1, retryAfter: hostile) <= policy.maxDelay)
        #expect(policy.delay(afterAttempt: 1, retryAfter: "2") == min(2, policy.maxDelay))
    }
}
