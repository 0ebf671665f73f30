/// The kernel dropped packets at a capture point (its buffer was full), as a recording
/// carries it (a pcapng Custom Block): a replay then judges the journeys missing there
/// `uncaptured`, as the live run did, instead of `vanished`.
/// Layout: 0x4C ('L'), version u8 (1), netns (u16 length, 0xFFFF = current, UTF-8),
/// iface (u16 length, UTF-8), dropped u32, from µs i64, to µs i64 (network byte order).
public struct CaptureLossRecord: Sendable, Equatable {
    public var point: CapturePoint
    public var dropped: Int
    public var from: EventTime
    public var to: EventTime

    public init(point: CapturePoint, dropped: Int, from: EventTime, to: EventTime) {
        self.point = point
        self.dropped = dropped
        self.from = from
        self.to = to
    }

    static let marker: UInt8 = 0x4C
    static let version: UInt8 = 1

    public static func isLossRecord(_ payload: [UInt8]) -> Bool { payload.first == marker }

    public var encoded: [UInt8] {
        var b = BigEndianBytes()
        b.u8(Self.marker)
        b.u8(Self.version)
        b.namespaceName(point.netns)
        let iface = Array(point.iface.utf8.prefix(4096))
        b.u16(UInt16(iface.count))
        b.bytes += iface
        b.u32(UInt32(clamping: dropped))
        b.u64(UInt64(bitPattern: from.micros))
        b.u64(UInt64(bitPattern: to.micros))
        return b.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var c = ByteCursor(bytes)
        let layer = "capture loss record"
        guard try c.u8(layer) == Self.marker else { throw .unsupported("not a capture loss record") }
        let version = try c.u8(layer)
        guard version == Self.version else { throw .unsupported("capture loss record version \(version)") }
        let netns = try c.namespaceName(layer)
        let length = Int(try c.u16(layer))
        let at = c.offset
        try c.skip(length, layer)
        point = CapturePoint(netns: netns, iface: String(decoding: bytes[at..<(at + length)], as: UTF8.self))
        dropped = Int(try c.u32(layer))
        from = EventTime(micros: Int64(bitPattern: try c.u64(layer)))
        to = EventTime(micros: Int64(bitPattern: try c.u64(layer)))
    }
}
