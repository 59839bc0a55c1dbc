import Foundation
import Testing
import WharfHTTP
@testable import WharfHTTPClient

/// Proxying through Debian's tinyproxy: HTTPS by CONNECT, plain HTTP in absolute form,
/// NO_PROXY going direct. tinyproxy's log proves what passed through it.
@Suite("HTTPClient proxies", .serialized)
struct ProxyTests {
    func client(_ proxy: HTTPProxyConfiguration, trust: HTTPClientTrust = HTTPClientTrust()) throws -> HTTPClient {
        var config = HTTPClientConfiguration()
        config.proxy = proxy
        config.trust = trust
        config.retry = .never
        return try HTTPClient(configuration: config)
    }

    @Test func httpsGoesThroughConnect() async throws {
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        let server = try TLSTestServer()
        let c = try client(.environment(["HTTPS_PROXY": proxy.url]), trust: HTTPClientTrust(caBundlePath: TestCertificates.caPath))
        let response = try await c.execute(HTTPClientRequest(method: "GET", url: "https://127.0.0.1:\(server.port)/tunnelled"))
        #expect(response.status == 200)
        #expect(String(decoding: try await response.body.collect(upTo: 1024), as: UTF8.self) == "hello /tunnelled")
        #expect(proxy.log.contains("CONNECT 127.0.0.1:\(server.port) HTTP/1.1"), "\(proxy.log)")
        await server.stop()
    }

    @Test func plainHTTPIsSentInAbsoluteForm() async throws {
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        let server = try LoopbackServer { peer in
            while let head = peer.readHead() { peer.respond(200, head.components(separatedBy: "\r\n")[0]) }
        }
        defer { server.stop() }
        let c = try client(.environment(["http_proxy": proxy.url]))
        let response = try await c.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/plain?q=1"))
        #expect(response.status == 200)
        // tinyproxy relays in origin form; what it logged is what we sent it.
        #expect(String(decoding: try await response.body.collect(upTo: 1024), as: UTF8.self) == "GET /plain?q=1 HTTP/1.1")
        #expect(proxy.log.contains("GET http://127.0.0.1:\(server.port)/plain?q=1 HTTP/1.1"), "\(proxy.log)")
    }

    @Test func noProxyGoesDirect() async throws {
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        let server = try LoopbackServer { peer in
            while peer.readHead() != nil { peer.respond(200, "direct") }
        }
        defer { server.stop() }
        let c = try client(.environment(["HTTP_PROXY": proxy.url, "NO_PROXY": "example.com,127.0.0.1"]))
        let response = try await c.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/bypass"))
        #expect(response.status == 200)
        #expect(!proxy.log.contains("/bypass"))
        #expect(!proxy.log.contains("127.0.0.1:\(server.port)"))
    }

    @Test func proxyBasicAuthComesFromUserinfoAndIsNeverPrinted() async throws {
        let proxy = try TinyProxy(basicAuth: ("wharf", "s3cret"))
        defer { proxy.stop() }
        let server = try LoopbackServer { peer in
            while peer.readHead() != nil { peer.respond(200, "ok") }
        }
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/auth"
        let denied = try await client(.environment(["HTTP_PROXY": proxy.url])).execute(HTTPClientRequest(method: "GET", url: url))
        #expect(denied.status == 407)
        let allowed = try await client(.environment(["HTTP_PROXY": "http://wharf:s3cret@127.0.0.1:\(proxy.port)"]))
            .execute(HTTPClientRequest(method: "GET", url: url))
        #expect(allowed.status == 200)
        // A refused proxy's error names it, not its password.
        let dead = try LoopbackServer.freePort()
        do {
            _ = try await client(.environment(["HTTP_PROXY": "http://wharf:s3cret@127.0.0.1:\(dead)"])).execute(HTTPClientRequest(method: "GET", url: url))
            Issue.record("a dead proxy answered")
        } catch let error as HTTPClientError {
            #expect(error.description.contains("127.0.0.1:\(dead)"))
            #expect(!error.description.contains("s3cret"))
        }
    }

    @Test func environmentParsing() {
        let env = HTTPProxyConfiguration.environment(["HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:2",
                                                      "HTTPS_PROXY": "proxy.corp:3128", "NO_PROXY": ".svc, localhost:5000,registry.io"])
        #expect(env.httpProxy?.description == "lower:2")
        #expect(env.httpsProxy?.description == "proxy.corp:3128")
        #expect(env.proxy(for: HTTPEndpoint(scheme: "https", host: "a.b.svc", port: 443)) == nil)
        #expect(env.proxy(for: HTTPEndpoint(scheme: "http", host: "localhost", port: 5000)) == nil)
        #expect(env.proxy(for: HTTPEndpoint(scheme: "http", host: "localhost", port: 5001))?.description == "lower:2")
        #expect(env.proxy(for: HTTPEndpoint(scheme: "https", host: "quay.registry.io", port: 443)) == nil)
        #expect(env.proxy(for: HTTPEndpoint(scheme: "https", host: "quay.io", port: 443))?.description == "proxy.corp:3128")
        #expect(HTTPProxyConfiguration.environment(["NO_PROXY": "*", "HTTPS_PROXY": "p:1"]).proxy(for: HTTPEndpoint(scheme: "https", host: "x")) == nil)
    }
}
