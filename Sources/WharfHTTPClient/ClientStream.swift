import Foundation
import WharfHTTP

/// A byte stream to a TCP server on the client's transports (plain, or TLS verified by the
/// client's trust store), for protocols that are not HTTP (Redis). Blocking, with the
/// given timeouts; call it from a thread of its own (`BlockingIOQueue`), one caller at a time.
public final class ClientStream: @unchecked Sendable {
    private let connection: ClientConnection

    private init(_ connection: ClientConnection) { self.connection = connection }

    /// Connects to `host:port` within `connectTimeout`; `ioTimeout` bounds each read and write.
    public static func open(host: String, port: Int, tls: Bool, trust: HTTPClientTrust = HTTPClientTrust(),
                            connectTimeout: TimeInterval, ioTimeout: TimeInterval) throws -> ClientStream {
        var config = HTTPClientConfiguration()
        config.connectTimeout = connectTimeout
        config.readTimeout = ioTimeout
        config.trust = trust
        let endpoint = HTTPEndpoint(scheme: tls ? "https" : "http", host: host, port: port)
        let store = try TLSTrustStore(trust)
        return ClientStream(try ClientConnection.open(to: endpoint, proxy: nil, trust: store, configuration: config))
    }

    /// Sends all of `data`.
    public func write(_ data: Data) throws { try connection.write(data, nil) }

    /// Reads up to `buffer.count` bytes; 0 when the server closed the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try connection.read(into: buffer) }

    /// True when the idle stream is still open and nothing unasked arrived.
    public var isReusable: Bool { connection.isReusable }

    /// Closes the socket.
    public func close() { connection.close() }
}
