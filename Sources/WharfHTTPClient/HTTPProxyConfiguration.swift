import Foundation

/// One proxy: where it listens and, from the URL's userinfo, its Basic credentials.
public struct HTTPProxy: Sendable, Hashable, CustomStringConvertible {
    /// The proxy's host name or address.
    public var host: String
    /// The proxy's port (default 80 for an `http://` proxy URL without one).
    public var port: Int
    /// The `Proxy-Authorization` value, when the URL had `user:password@`.
    var authorization: String?

    /// A proxy from a URL like `http://user:pass@proxy.corp:3128` (a bare `host:port` works
    /// too); nil when it has no host.
    public init?(url text: String) {
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let c = URLComponents(string: withScheme), let host = c.host, !host.isEmpty else { return nil }
        self.host = host
        self.port = c.port ?? (c.scheme == "https" ? 443 : 80)
        if let user = c.user {
            let pair = (user.removingPercentEncoding ?? user) + ":" + ((c.password?.removingPercentEncoding ?? c.password) ?? "")
            authorization = "Basic " + Data(pair.utf8).base64EncodedString()
        }
    }

    /// `host:port`, never the credentials.
    public var description: String { "\(host):\(port)" }
}

/// Which proxy each request goes through: plain-HTTP requests are sent to ``httpProxy`` in
/// absolute form, HTTPS requests tunnel through ``httpsProxy`` with CONNECT, and hosts
/// matching ``noProxy`` go direct.
///
/// ```swift
/// let proxy = HTTPProxyConfiguration.environment()   // HTTP_PROXY / HTTPS_PROXY / NO_PROXY
/// let explicit = HTTPProxyConfiguration(httpsProxy: HTTPProxy(url: "http://proxy:3128"), noProxy: [".cluster.local"])
/// ```
public struct HTTPProxyConfiguration: Sendable {
    /// The proxy for `http://` URLs.
    public var httpProxy: HTTPProxy?
    /// The proxy for `https://` URLs (through a CONNECT tunnel).
    public var httpsProxy: HTTPProxy?
    /// Hosts that go direct: `*` (all), a name (it and its subdomains), `.domain`
    /// (subdomains), an address, each optionally with `:port`.
    public var noProxy: [String]

    /// Proxies as given.
    public init(httpProxy: HTTPProxy? = nil, httpsProxy: HTTPProxy? = nil, noProxy: [String] = []) {
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.noProxy = noProxy
    }

    /// Proxies from `http_proxy`/`HTTP_PROXY`, `https_proxy`/`HTTPS_PROXY` and
    /// `no_proxy`/`NO_PROXY` (the lower-case form wins, as curl and Go do).
    public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HTTPProxyConfiguration {
        func value(_ name: String) -> String? {
            let v = env[name.lowercased()] ?? env[name.uppercased()]
            return v?.isEmpty == false ? v : nil
        }
        let noProxy = (value("no_proxy") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return HTTPProxyConfiguration(httpProxy: value("http_proxy").flatMap(HTTPProxy.init(url:)),
                                      httpsProxy: value("https_proxy").flatMap(HTTPProxy.init(url:)),
                                      noProxy: noProxy)
    }

    /// The proxy for a request to `endpoint`, or nil to go direct.
    public func proxy(for endpoint: HTTPEndpoint) -> HTTPProxy? {
        guard let proxy = endpoint.isTLS ? httpsProxy : httpProxy else { return nil }
        return bypasses(endpoint) ? nil : proxy
    }

    /// True when ``noProxy`` names the endpoint's host.
    func bypasses(_ endpoint: HTTPEndpoint) -> Bool {
        let host = endpoint.host.lowercased()
        for raw in noProxy {
            var entry = raw.lowercased()
            if entry == "*" { return true }
            if let colon = entry.lastIndex(of: ":"), !entry.hasPrefix("["), entry.filter({ $0 == ":" }).count == 1 {
                guard Int(entry[entry.index(after: colon)...]) == endpoint.port else { continue }
                entry = String(entry[..<colon])
            }
            entry = entry.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if entry.hasPrefix("*.") { entry.removeFirst() }
            if entry.hasPrefix(".") {
                if host.hasSuffix(entry) || host == String(entry.dropFirst()) { return true }
            } else if host == entry || host.hasSuffix("." + entry) {
                return true
            }
        }
        return false
    }
}
