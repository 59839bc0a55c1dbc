import Foundation

extension HTTPClient {
    /// Opens a TCP connection to `host:port` within `timeout` seconds and closes it: a
    /// reachability probe (distribution's `health.tcp` checks). Throws ``HTTPClientError``
    /// (`connectionRefused`, `timeout`, `hostNotFound`, `connectFailed`) when it cannot.
    public func probeConnection(host: String, port: Int, timeout: TimeInterval) async throws {
        try await pool.io.run {
            let fd = try ClientConnection.connectSocket(host: host, port: port, named: "\(host):\(port)", timeout: timeout)
            close(fd)
        }
    }
}
