/// Where a ``StorageWriter`` is in its life. Every driver's writer follows the same rules,
/// so they share this: bytes go only into an open writer; closing twice is harmless;
/// committing a finished writer, or finishing a cancelled one, is an error.
///
/// ```swift
/// private var state = WriterState.open
///
/// func write(_ data: Data) async throws {
///     try state.checkWritable(path)
///     ...
/// }
///
/// private func finish(_ next: WriterState) async throws {
///     guard try state.shouldFinish(next, path: path) else { return }   // closed again: nothing to do
///     ... flush, complete ...
///     state = next
/// }
/// ```
enum WriterState: Sendable, CustomStringConvertible {
    case open, closed, committed, cancelled

    var description: String {
        switch self {
        case .open: return "open"
        case .closed: return "closed"
        case .committed: return "committed"
        case .cancelled: return "cancelled"
        }
    }

    /// Throws ``StorageError/unsupported(_:)`` unless the writer takes more bytes.
    func checkWritable(_ path: String) throws {
        guard self == .open else { throw StorageError.unsupported("write to a \(self) writer: \(path)") }
    }

    /// Whether closing or committing (`next`) has work to do: true for an open writer, false
    /// for closing one already closed or committed; throws for committing a finished writer
    /// and for finishing a cancelled one.
    func shouldFinish(_ next: WriterState, path: String) throws -> Bool {
        switch self {
        case .open:
            return true
        case .closed, .committed:
            if next == .closed { return false }
            throw StorageError.unsupported("commit of a writer already \(self): \(path)")
        case .cancelled:
            throw StorageError.unsupported("writer was cancelled: \(path)")
        }
    }

    /// Moves to `.cancelled`; false when the writer already was (cancelling twice is harmless).
    mutating func cancel() -> Bool {
        if self == .cancelled { return false }
        self = .cancelled
        return true
    }
}
