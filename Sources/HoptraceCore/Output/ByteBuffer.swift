/// Bytes appended through a pointer: room is made once for a whole member of a line
/// (`reserve`), then each byte is a store (`put`). An `[UInt8]` checks uniqueness and
/// capacity on every append, and under a flood those checks were a fifth of `--json`'s cost.
///
/// A reference: `JSONLine` keeps its value semantics by copying one that is shared before
/// changing it, and a packet line is written straight onto `LineWriter`'s buffer.
public final class ByteBuffer {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    private var capacity: Int

    public init(capacity: Int = 64) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes from `start` on, in a new buffer.
    func copy(from start: Int = 0) -> ByteBuffer {
        let c = ByteBuffer(capacity: count - start + 64)
        c.append(base + start, count - start)
        return c
    }

    /// Room for `extra` more bytes: `put` may then store that many without looking.
    @inline(__always) public func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private func grow(_ needed: Int) {
        let newCapacity = max(needed, 2 * capacity)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// A byte, into room `reserve` made.
    @inline(__always) func put(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    /// Counts `n` bytes stored straight through `base` into room `reserve` made.
    @inline(__always) func skip(_ n: Int) { count += n }

    /// Bytes, into room `reserve` made.
    @inline(__always) func put(_ p: UnsafePointer<UInt8>, _ n: Int) {
        // Keys and most values are a few bytes: a loop beats a call to memmove.
        if n <= 16 {
            for i in 0..<n { base[count + i] = p[i] }
        } else {
            (base + count).update(from: p, count: n)
        }
        count += n
    }

    public func append(_ b: UInt8) {
        reserve(1)
        put(b)
    }

    public func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        put(p, n)
    }

    public func append(contentsOf text: String.UTF8View) {
        let done: Void? = text.withContiguousStorageIfAvailable { b in
            if let p = b.baseAddress { append(p, b.count) }
        }
        if done == nil { for b in text { append(b) } }
    }

    public func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            if let p = b.baseAddress { append(p, b.count) }
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// Forgets the bytes, keeping the room.
    public func removeAll() { count = 0 }
}
