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

    /// Where the next byte goes. A writer keeps this in a local and calls `skip` once at the
    /// end: through `base[count]` every byte reloads both (a store might have changed them).
    @inline(__always) var end: UnsafeMutablePointer<UInt8> { base + count }

    /// Bytes, into room `reserve` made.
    @inline(__always) func put(_ p: UnsafePointer<UInt8>, _ n: Int) {
        Self.copy(p, n, to: end)
        count += n
    }

    /// `n` bytes from `p` to `q`. Keys and most values are a few bytes: a loop beats a call to memmove.
    @inline(__always) static func copy(_ p: UnsafePointer<UInt8>, _ n: Int, to q: UnsafeMutablePointer<UInt8>) {
        if n <= 16 {
            for i in 0..<n { q[i] = p[i] }
        } else {
            q.update(from: p, count: n)
        }
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
