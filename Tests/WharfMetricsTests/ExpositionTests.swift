import XCTest
@testable import WharfMetrics

/// Text format 0.0.4: HELP/TYPE lines, escaping, value formatting, summaries.
final class ExpositionTests: XCTestCase {
    func testEscaping() {
        XCTAssertEqual(PrometheusText.escapeHelp("a\\b\nc\"d"), "a\\\\b\\nc\"d")
        XCTAssertEqual(PrometheusText.escapeLabelValue("a\\b\nc\"d"), "a\\\\b\\nc\\\"d")
    }

    func testValues() {
        XCTAssertEqual(PrometheusText.formatValue(3), "3")
        XCTAssertEqual(PrometheusText.formatValue(0.25), "0.25")
        XCTAssertEqual(PrometheusText.formatValue(.infinity), "+Inf")
        XCTAssertEqual(PrometheusText.formatValue(-.infinity), "-Inf")
        XCTAssertEqual(PrometheusText.formatValue(.nan), "NaN")
    }

    func testNames() {
        XCTAssertTrue(PrometheusText.isValidMetricName("imageregistry_http_requests_total"))
        XCTAssertFalse(PrometheusText.isValidMetricName("9lives"))
        XCTAssertFalse(PrometheusText.isValidLabelName("__name__"))
        XCTAssertFalse(PrometheusText.isValidLabelName("a:b"))
    }

    func testCounterAndSummaryExposition() {
        let r = MetricsRegistry()
        let c = r.counter("req_total", help: "Requests\nwith \\ newline.", labels: ["code", "path"])
        c.inc("200", "/a\"b\n")
        c.inc("200", "/a\"b\n", by: 2)
        c.inc("404", "/x", by: -5)   // negative: ignored
        let s = r.summary("lat_seconds", help: "Latency.", labels: ["method"])
        s.observe(0.5, "get")
        let g = r.gauge("inflight", help: "In flight.")
        g.inc(); g.inc(); g.dec()
        XCTAssertEqual(r.exposition(), """
        # HELP req_total Requests\\nwith \\\\ newline.
        # TYPE req_total counter
        req_total{code="200",path="/a\\"b\\n"} 3
        # HELP lat_seconds Latency.
        # TYPE lat_seconds summary
        lat_seconds{method="get",quantile="0.5"} 0.5
        lat_seconds{method="get",quantile="0.9"} 0.5
        lat_seconds{method="get",quantile="0.99"} 0.5
        lat_seconds_sum{method="get"} 0.5
        lat_seconds_count{method="get"} 1
        # HELP inflight In flight.
        # TYPE inflight gauge
        inflight 1

        """)
    }

    func testRegistryMetricsBuildInfoAndProcess() {
        let m = RegistryMetrics(gitVersion: "v1.4.2", gitCommit: "abc")
        m.httpRequest(method: "GET", code: 200, seconds: 0.1, headerSeconds: 0.01, requestBytes: 0, responseBytes: 10)
        m.storageCall(operation: "StorageDriver.Stat", seconds: 0.001, errorCode: "PATH_NOT_FOUND")
        let text = m.exposition()
        XCTAssertTrue(text.contains("imageregistry_build_info{gitCommit=\"abc\",gitVersion=\"v1.4.2\",major=\"1\",minor=\"4\"} 1\n"))
        XCTAssertTrue(text.contains("imageregistry_http_requests_total{code=\"200\",method=\"get\"} 1\n"))
        XCTAssertTrue(text.contains("imageregistry_http_time_to_write_header_seconds_sum 0.01\n"))
        XCTAssertTrue(text.contains("imageregistry_http_response_size_bytes_sum 10\n"))
        XCTAssertTrue(text.contains("imageregistry_storage_errors_total{operation=\"StorageDriver.Stat\",code=\"PATH_NOT_FOUND\"} 1\n"))
        XCTAssertTrue(text.contains("\nprocess_resident_memory_bytes "))
        XCTAssertTrue(text.contains("\nprocess_open_fds "))
        XCTAssertTrue(text.contains("\nprocess_start_time_seconds "))
    }
}
