/// A sample of a namespace's drop counters as a recording carries it (a pcapng Custom Block),
/// so a replay cites the counts the live run cited. Only the counters that moved since the
/// namespace's previous record are written (the first record has them all); a sample where
/// nothing moved is written only when a diagnosis took it (its "nothing moved" is a finding).
/// Layout: 0x4B ('K'), version u8 (1), netns (u16 length, 0xFFFF = current, UTF-8), time µs
/// i64, flags u8 (1: taken for a diagnosis), count u16, then per counter: name (u8 length,
/// ASCII) and value u64 (network byte order).
public struct KernelCounterRecord: Sendable, Equatable {
    public var netns: String?
    public var time: EventTime
    public var forDiagnosis: Bool
    /// The counters that moved (decoded: as written, not yet applied to the previous ones).
    public var values: [String: UInt64]

    public init(netns: String?, time: EventTime, forDiagnosis: Bool, values: [String: UInt64]) {
        self.netns = netns
        self.time = time
        self.forDiagnosis = forDiagnosis
        self.values = values
    }

    static let marker: UInt8 = 0x4B
    static let version: UInt8 = 1

    public static func isCounterRecord(_ payload: [UInt8]) -> Bool { payload.first == marker }

    /// What moved from `previous` to `current` (everything, with no previous).
    public static func changes(from previous: [String: UInt64]?, to current: [String: UInt64]) -> [String: UInt64] {
        guard let previous else { return current }
        return current.filter { previous[$0.key] != $0.value }
    }

    public var encoded: [UInt8] {
        var b = BigEndianBytes()
        b.u8(Self.marker)
        b.u8(Self.version)
        b.namespaceName(netns)
        b.u64(UInt64(bitPattern: time.micros))
        b.u8(forDiagnosis ? 1 : 0)
        let known = values.filter { CounterHistory.keySet.contains($0.key) }.sorted { $0.key < $1.key }
        b.u16(UInt16(known.count))
        for (key, value) in known {
            let name = Array(key.utf8)
            b.u8(UInt8(name.count))
            b.bytes += name
            b.u64(value)
        }
        return b.bytes
    }

    /// A counter the decoder does not know (a newer hoptrace's) is skipped, not an error.
    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var c = ByteCursor(bytes)
        let layer = "counter record"
        guard try c.u8(layer) == Self.marker else { throw .unsupported("not a counter record") }
        let version = try c.u8(layer)
        guard version == Self.version else { throw .unsupported("counter record version \(version)") }
        netns = try c.namespaceName(layer)
        time = EventTime(micros: Int64(bitPattern: try c.u64(layer)))
        forDiagnosis = try c.u8(layer) & 1 == 1
        let count = Int(try c.u16(layer))
        values = [:]
        for _ in 0..<count {
            let length = Int(try c.u8(layer))
            let at = c.offset
            try c.skip(length, layer)
            let key = String(decoding: bytes[at..<(at + length)], as: UTF8.self)
            let value = try c.u64(layer)
            if CounterHistory.keySet.contains(key) { values[key] = value }
        }
    }
}
