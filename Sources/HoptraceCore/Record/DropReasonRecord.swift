/// A batch of the kernel's traced drop reasons as a recording carries it (a pcapng Custom
/// Block). A run that traced them writes an empty batch at its start, so a replay knows they
/// were traced (and says "none meanwhile" as the live run did).
/// Layout: 0x52 ('R'), version u8 (1), flags u8 (1: read for a diagnosis; 2: the kernel lost
/// drops before the time that follows), [lost-before µs i64], count u16, then per drop: time µs
/// i64, reason (u8 length, ASCII), location (u8 length, 0 = none, ASCII).
public struct DropReasonRecord: Sendable, Equatable {
    public var entries: [DropReasonHistory.Entry]
    public var forDiagnosis: Bool
    /// The kernel's buffer overflowed before this time: windows reaching back past it are lower bounds.
    public var lostBefore: EventTime?

    public init(entries: [DropReasonHistory.Entry], forDiagnosis: Bool, lostBefore: EventTime? = nil) {
        self.entries = entries
        self.forDiagnosis = forDiagnosis
        self.lostBefore = lostBefore
    }

    static let marker: UInt8 = 0x52
    static let version: UInt8 = 1
    /// Entries per block at most; a bigger batch is written as several.
    public static let limit = Int(UInt16.max)

    public static func isReasonRecord(_ payload: [UInt8]) -> Bool { payload.first == marker }

    public var encoded: [UInt8] {
        var b = BigEndianBytes()
        b.u8(Self.marker)
        b.u8(Self.version)
        b.u8((forDiagnosis ? 1 : 0) | (lostBefore != nil ? 2 : 0))
        if let lostBefore { b.u64(UInt64(bitPattern: lostBefore.micros)) }
        let kept = entries.prefix(Self.limit)
        b.u16(UInt16(kept.count))
        for e in kept {
            b.u64(UInt64(bitPattern: e.time.micros))
            for text in [e.reason, e.location ?? ""] {
                let utf8 = Array(text.utf8.prefix(255))
                b.u8(UInt8(utf8.count))
                b.bytes += utf8
            }
        }
        return b.bytes
    }

    /// A name that is not a kernel symbol's (upper case, digits and '_' for a reason; letters,
    /// digits, '_' and '.' for a function) is corruption: the record is refused, so nothing
    /// from a crafted file reaches a verdict's text.
    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var c = ByteCursor(bytes)
        let layer = "drop reason record"
        guard try c.u8(layer) == Self.marker else { throw .unsupported("not a drop reason record") }
        let version = try c.u8(layer)
        guard version == Self.version else { throw .unsupported("drop reason record version \(version)") }
        let flags = try c.u8(layer)
        forDiagnosis = flags & 1 == 1
        lostBefore = flags & 2 == 2 ? EventTime(micros: Int64(bitPattern: try c.u64(layer))) : nil
        let count = Int(try c.u16(layer))
        entries = []
        entries.reserveCapacity(min(count, 4096))
        func text() throws(DecodeError) -> String {
            let length = Int(try c.u8(layer))
            let at = c.offset
            try c.skip(length, layer)
            return String(decoding: bytes[at..<(at + length)], as: UTF8.self)
        }
        for _ in 0..<count {
            let time = EventTime(micros: Int64(bitPattern: try c.u64(layer)))
            let reason = try text(), location = try text()
            guard !reason.isEmpty, reason.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) }),
                  location.allSatisfy({ $0 == "_" || $0 == "." || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                throw .unsupported("drop reason record with a name that is not a kernel symbol")
            }
            entries.append(.init(time: time, reason: reason, location: location.isEmpty ? nil : location))
        }
    }
}
