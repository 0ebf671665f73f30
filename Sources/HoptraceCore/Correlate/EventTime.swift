/// When something happened, in microseconds since the epoch: the packet's capture
/// timestamp or the conntrack event's arrival. The correlator's only clock, so a
/// replay of recorded events reaches the same verdicts as the live run did.
public struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }

    public init(seconds: Int, micros: Int) {
        self.micros = Int64(seconds) * 1_000_000 + Int64(micros)
    }

    /// Later than any real event: `advance(to: .distantFuture)` settles everything at the end of a replay.
    public static let distantFuture = EventTime(micros: Int64.max / 4)

    /// Whole seconds, floored (for RFC 3339).
    public var seconds: Int { Int(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000) }
    /// The microseconds within `seconds`, 0..<1_000_000.
    public var microsOfSecond: Int { Int(micros - Int64(seconds) * 1_000_000) }

    public func adding(seconds s: Double) -> EventTime {
        EventTime(micros: micros &+ Int64((s * 1_000_000).rounded()))
    }

    /// Microseconds from `earlier` to self.
    public func micros(since earlier: EventTime) -> Int64 { micros &- earlier.micros }

    public static func < (a: EventTime, b: EventTime) -> Bool { a.micros < b.micros }

    public var description: String { RFC3339.format(seconds: seconds, micros: microsOfSecond) }

    /// "22:48:02" (UTC): the time of day, for badges and timelines.
    public var clock: String { String(description.dropFirst(11).prefix(8)) }
}
