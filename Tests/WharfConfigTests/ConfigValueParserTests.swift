import XCTest
import WharfConfig

/// Durations and sizes as config.yml writes them.
final class ConfigValueParserTests: XCTestCase {
    func testDurations() {
        XCTAssertEqual(ConfigValueParser.duration("30s"), 30)
        XCTAssertEqual(ConfigValueParser.duration("2m"), 120)
        XCTAssertEqual(ConfigValueParser.duration("1h30m"), 5400)
        XCTAssertEqual(ConfigValueParser.duration("168h"), 604_800)
        XCTAssertEqual(ConfigValueParser.duration("250ms"), 0.25)
        XCTAssertEqual(ConfigValueParser.duration("1.5s"), 1.5)
        XCTAssertEqual(ConfigValueParser.duration("0"), 0)
        XCTAssertEqual(ConfigValueParser.duration("45"), 45, "a bare number is seconds")
        XCTAssertEqual(ConfigValueParser.duration("10us"), 0.00001)
        XCTAssertEqual(ConfigValueParser.duration("1.5h"), 5400)
        XCTAssertEqual(ConfigValueParser.duration(".5s"), 0.5)
        XCTAssertEqual(ConfigValueParser.duration("1500ns"), 0.000002, "rounded to microseconds")
        XCTAssertEqual(ConfigValueParser.duration("00.00000516978417s"), 0.000005)
        for bad in ["", "s", ".", "1..2s", "1.2.3s", "-5s", "5x", "1h-2m", "1e3s", "10s5", "876001h", "9999999999999999999h",
                    "99999999999999999999s", String(repeating: "1", count: 100) + "s"] {
            XCTAssertNil(ConfigValueParser.duration(bad), bad)
        }
    }

    func testSizes() {
        XCTAssertEqual(ConfigValueParser.byteSize("65536"), 65536)
        XCTAssertEqual(ConfigValueParser.byteSize("64KiB"), 65536)
        XCTAssertEqual(ConfigValueParser.byteSize("4MiB"), 4 << 20)
        XCTAssertEqual(ConfigValueParser.byteSize("1GiB"), 1 << 30)
        XCTAssertEqual(ConfigValueParser.byteSize("2TiB"), 2 << 40)
        XCTAssertEqual(ConfigValueParser.byteSize("10MB"), 10_000_000)
        XCTAssertEqual(ConfigValueParser.byteSize("512 B"), 512)
        for bad in ["", "KiB", "-1", "1.5MiB", "4XB", "9223372036854775807KiB", "99999999999999999999", "1 GiB x"] {
            XCTAssertNil(ConfigValueParser.byteSize(bad), bad)
        }
    }

    func testFormatDurationRoundTrips() {
        for seconds in [0, 0.25, 1, 1.5, 30, 90, 3600, 5400, 604_800, 0.000005, 12.345678, 86399.999999] as [Double] {
            let text = ConfigValueParser.formatDuration(seconds)
            XCTAssertEqual(ConfigValueParser.duration(text), seconds, text)
        }
        XCTAssertEqual(ConfigValueParser.formatDuration(5400), "1h30m")
        XCTAssertEqual(ConfigValueParser.formatDuration(1.5), "1s500ms")
        XCTAssertEqual(ConfigValueParser.formatDuration(0.000005), "5us")
    }
}
