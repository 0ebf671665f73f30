/// Every read of packet bytes goes through here and is bounds-checked: a packet
/// may be truncated anywhere and may hold any bytes at all.
public struct ByteCursor {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    /// Reads stop here: the end of the captured bytes, or of the datagram when its
    /// own length field says it ends earlier (Ethernet padding is not payload).
    public private(set) var end: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.end = bytes.count
    }

    public var remaining: Int { end - offset }

    /// Narrows the readable bytes to the next `n` (never widens them).
    public mutating func limit(to n: Int) {
        guard n >= 0 else { return }
        end = min(end, offset + n)
    }

    public mutating func u8(_ layer: String) throws(DecodeError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(layer: layer) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16(_ layer: String) throws(DecodeError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated(layer: layer) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u32(_ layer: String) throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(layer: layer) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public mutating func u64(_ layer: String) throws(DecodeError) -> UInt64 {
        let high = try u32(layer)
        let low = try u32(layer)
        return UInt64(high) << 32 | UInt64(low)
    }

    public mutating func skip(_ n: Int, _ layer: String) throws(DecodeError) {
        guard n >= 0, remaining >= n else { throw .truncated(layer: layer) }
        offset += n
    }
}

public enum DecodeError: Error, Equatable, Sendable {
    case truncated(layer: String)
    case unsupported(String)
}
