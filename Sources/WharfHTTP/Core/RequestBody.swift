import Foundation

/// Where a ``RequestBody`` gets its bytes: implemented by each codec, and by ``RequestBody/init(data:)`` for tests.
public protocol RequestBodySource: AnyObject, Sendable {
    /// The next chunk (never empty), or nil at the end of the body.
    /// Throws when the peer goes away or the framing is invalid.
    func next() async throws -> Data?
}

/// Why reading a request body failed.
public enum RequestBodyError: Error, Equatable, Sendable {
    /// The body is longer than ``RequestBody/maxLength``.
    case tooLarge(limit: Int64)
    /// The connection closed before the body was complete.
    case truncated
    /// The body's framing was invalid (bad chunk size, ...).
    case malformed(String)
    /// The body was already consumed.
    case alreadyConsumed
}

/// A request body as a stream of chunks with backpressure: nothing is read from the
/// socket beyond a small buffer until the handler asks for more.
///
/// ```swift
/// while let chunk = try await request.body.next() { try await writer.write(chunk) }
/// let small = try await request.body.collect(upTo: 4 << 20)   // manifests
/// ```
/// The first read of a request that carried `Expect: 100-continue` sends the interim
/// `100 Continue`; a handler that answers without reading sends the final status instead.
public final class RequestBody: @unchecked Sendable {
    /// The `Content-Length`, or nil when the length is not known in advance (chunked).
    public let declaredLength: Int64?
    /// The most bytes a handler accepts; set by the router per route. Exceeding it
    /// makes ``next()`` throw ``RequestBodyError/tooLarge(limit:)``.
    public var maxLength: Int64?
    /// Bytes handed to the handler so far.
    public private(set) var bytesRead: Int64 = 0
    /// True once the end of the body has been reached.
    public private(set) var isComplete: Bool

    private let source: RequestBodySource?
    private let lock = NSLock()

    /// A body fed by a codec.
    public init(source: RequestBodySource, declaredLength: Int64?) {
        self.source = source
        self.declaredLength = declaredLength
        self.isComplete = declaredLength == 0
    }

    /// A body of known bytes (tests, internal requests).
    public convenience init(data: Data) {
        self.init(source: DataBodySource(data), declaredLength: Int64(data.count))
    }

    private init() {
        source = nil
        declaredLength = 0
        isComplete = true
    }

    /// A body with no bytes.
    public static var empty: RequestBody { RequestBody() }

    /// True if the request has a body that may still have bytes to read.
    public var hasMore: Bool { !isComplete }

    /// The next chunk, or nil at the end.
    public func next() async throws -> Data? {
        if isComplete { return nil }
        if let limit = maxLength, let declared = declaredLength, declared > limit {
            throw RequestBodyError.tooLarge(limit: limit)
        }
        guard let source else { return nil }
        guard let chunk = try await source.next() else {
            isComplete = true
            return nil
        }
        bytesRead += Int64(chunk.count)
        if let limit = maxLength, bytesRead > limit { throw RequestBodyError.tooLarge(limit: limit) }
        return chunk
    }

    /// Reads the whole body into memory; throws ``RequestBodyError/tooLarge(limit:)`` past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> Data {
        if let declared = declaredLength, declared > Int64(limit) { throw RequestBodyError.tooLarge(limit: Int64(limit)) }
        var out = Data()
        while let chunk = try await next() {
            if out.count + chunk.count > limit { throw RequestBodyError.tooLarge(limit: Int64(limit)) }
            out.append(chunk)
        }
        return out
    }
}

final class DataBodySource: RequestBodySource, @unchecked Sendable {
    private var data: Data?
    init(_ data: Data) { self.data = data.isEmpty ? nil : data }
    func next() async throws -> Data? {
        defer { data = nil }
        return data
    }
}
