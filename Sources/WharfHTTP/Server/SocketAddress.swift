import Foundation

/// Socket address helpers: formatting peers as `ip:port` and resolving bind addresses.
enum SocketAddress {
    /// `ip:port` for IPv4, `[ip]:port` for IPv6 (IPv4-mapped addresses shown as IPv4).
    static func describe(_ storage: UnsafePointer<sockaddr_storage>) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
                return "\(String(cString: buf)):\(UInt16(bigEndian: sin.pointee.sin_port))"
            }
        case AF_INET6:
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var addr = sin6.pointee.sin6_addr
                inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
                var ip = String(cString: buf)
                let port = UInt16(bigEndian: sin6.pointee.sin6_port)
                if ip.hasPrefix("::ffff:") && ip.contains(".") {
                    ip.removeFirst(7)
                    return "\(ip):\(port)"
                }
                return "[\(ip)]:\(port)"
            }
        default:
            return "unknown"
        }
    }

    /// The port a bound socket listens on.
    static func localPort(of fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard r == 0 else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return 0
        }
    }
}
