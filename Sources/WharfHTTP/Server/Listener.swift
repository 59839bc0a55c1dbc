import Dispatch
import Foundation

/// Why the server could not start listening.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    /// What failed, including the address and the system error.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A listening socket whose Dispatch read source accepts connections in batches.
final class Listener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int
    private let source: DispatchSourceRead
    private let queue = DispatchQueue(label: "wharf.http.accept")
    private var paused = false
    private var cancelled = false

    /// Binds `host`:`port`. An empty host binds all addresses (IPv6 dual-stack, or IPv4
    /// when IPv6 is unavailable); `0.0.0.0` all IPv4; `::` all IPv6 and IPv4.
    init(host: String, port: Int, onAccept: @escaping (Int32, String) -> Void) throws {
        guard (0...65535).contains(port) else { throw HTTPServerError("invalid port \(port)") }
        var fd: Int32 = -1
        var lastError = "no usable address"
        let candidates: [String?] = host.isEmpty ? ["::", "0.0.0.0"] : [host]
        outer: for candidate in candidates {
            var hints = addrinfo()
            hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(candidate, String(port), &hints, &list)
            if rc != 0 { lastError = "cannot resolve \(candidate ?? ""): \(String(cString: gai_strerror(rc)))"; continue }
            defer { freeaddrinfo(list) }
            var ai = list
            while let a = ai {
                defer { ai = a.pointee.ai_next }
                let s = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                if s < 0 { lastError = String(cString: strerror(errno)); continue }
                var one: Int32 = 1
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                if a.pointee.ai_family == AF_INET6 {
                    // Dual-stack for the wildcard; a specific IPv6 address stays IPv6 only.
                    var v6only: Int32 = candidate == "::" ? 0 : 1
                    setsockopt(s, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size))
                }
                if Glibc.bind(s, a.pointee.ai_addr, a.pointee.ai_addrlen) != 0 || Glibc.listen(s, 1024) != 0 {
                    lastError = "cannot listen on \(host.isEmpty ? "*" : host):\(port): \(String(cString: strerror(errno)))"
                    Glibc.close(s)
                    continue
                }
                fd = s
                break outer
            }
        }
        guard fd >= 0 else { throw HTTPServerError(lastError) }
        descriptor = fd
        self.port = SocketAddress.localPort(of: fd)
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptBatch(onAccept) }
        source.setCancelHandler { Glibc.close(fd) }
        source.resume()
    }

    private func acceptBatch(_ onAccept: (Int32, String) -> Void) {
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(descriptor, $0, &len)
                }
            }
            if fd < 0 {
                let e = errno
                if e == EINTR || e == ECONNABORTED { continue }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM {
                    // Out of descriptors: stop accepting briefly instead of spinning.
                    guard !paused else { return }
                    paused = true
                    source.suspend()
                    queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
                        paused = false
                        if !cancelled { source.resume() }
                    }
                }
                return
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let remote = withUnsafePointer(to: &storage) { SocketAddress.describe($0) }
            onAccept(fd, remote)
        }
    }

    /// Stops accepting and closes the socket; returns once no accept runs anymore.
    func close() {
        queue.sync {
            cancelled = true
            if paused { source.resume(); paused = false }
            source.cancel()
        }
    }
}
