import Foundation

/// Bytes and file regions waiting to be written, in order. Writes gather several
/// pieces into one call (writev for plain sockets).
struct OutputQueue {
    enum Item {
        case data(Data)
        case bytes([UInt8])
        case file(FileRegion, offset: Int64, remaining: Int64)
    }

    private(set) var items: [Item] = []
    private var head = 0
    /// How much of the first item has been written already.
    private var firstOffset = 0
    /// Bytes queued and not yet written (file regions count in full).
    private(set) var bufferedBytes: Int64 = 0
    /// Bytes written from the queue since the connection opened (never reset).
    private(set) var writtenBytes: Int64 = 0

    var isEmpty: Bool { head >= items.count }

    mutating func append(_ item: Item) {
        switch item {
        case .data(let d): if d.isEmpty { return }; bufferedBytes += Int64(d.count)
        case .bytes(let b): if b.isEmpty { return }; bufferedBytes += Int64(b.count)
        case .file(_, _, let remaining): if remaining <= 0 { return }; bufferedBytes += remaining
        }
        items.append(item)
    }

    /// The first item when it is a file region: (region, offset, remaining).
    var firstFile: (FileRegion, Int64, Int64)? {
        guard !isEmpty, case .file(let r, let off, let rem) = items[head] else { return nil }
        return (r, off, rem)
    }

    /// Calls `body` with the leading byte pieces (up to `maxPieces`, stopping at a file).
    func withLeadingBuffers<R>(maxPieces: Int = 16, _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        var pointers: [UnsafeRawBufferPointer] = []
        pointers.reserveCapacity(maxPieces)
        func gather(_ index: Int) -> R {
            if index >= items.count || pointers.count >= maxPieces { return body(pointers) }
            let skip = index == head ? firstOffset : 0
            switch items[index] {
            case .data(let d):
                return d.withUnsafeBytes { p in
                    pointers.append(UnsafeRawBufferPointer(rebasing: p[skip...]))
                    return gather(index + 1)
                }
            case .bytes(let b):
                return b.withUnsafeBytes { p in
                    pointers.append(UnsafeRawBufferPointer(rebasing: p[skip...]))
                    return gather(index + 1)
                }
            case .file:
                return body(pointers)
            }
        }
        return gather(head)
    }

    /// Drops `count` written bytes from the front.
    mutating func consume(_ count: Int) {
        var left = count
        bufferedBytes -= Int64(count)
        writtenBytes += Int64(count)
        while left > 0 && !isEmpty {
            switch items[head] {
            case .data(let d):
                let avail = d.count - firstOffset
                if left >= avail { left -= avail; popFirst() } else { firstOffset += left; left = 0 }
            case .bytes(let b):
                let avail = b.count - firstOffset
                if left >= avail { left -= avail; popFirst() } else { firstOffset += left; left = 0 }
            case .file(let r, let off, let rem):
                let n = Int64(left)
                if n >= rem { left -= Int(rem); popFirst() } else { items[head] = .file(r, offset: off + n, remaining: rem - n); left = 0 }
            }
        }
    }

    private mutating func popFirst() {
        items[head] = .bytes([])
        head += 1
        firstOffset = 0
        if head >= items.count { items.removeAll(keepingCapacity: true); head = 0 }
        else if head >= 64 { items.removeFirst(head); head = 0 }
    }

    mutating func removeAll() {
        items.removeAll()
        head = 0
        firstOffset = 0
        bufferedBytes = 0
    }
}
