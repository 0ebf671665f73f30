/// When something happened, in microseconds since the epoch: the packet's capture
/// timestamp or the conntrack event's arrival. The correlator's only clock, so a
/// replay of recorded events reaches the same verdicts as the live run did.
///
/// Total arithmetic: a recording is anybody's bytes, so every way to make or move a time
/// saturates at ±`limit` instead of trapping on overflow. With both ends inside ±`limit`,
/// `micros(since:)` and comparisons cannot overflow either. The decoders reject times a
/// recording cannot mean (PcapngReader, RecordingDecoder), so the clamp is a last line,
/// not the usual path; it costs a compare or two on the per-packet path.
public struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Always within ±`limit` (hence the private setter: every way in clamps).
    public private(set) var micros: Int64

    /// The latest (and, negated, the earliest) time an EventTime holds: about 73,000 years
    /// either side of 1970. A quarter of Int64's range, so the difference of two times and
    /// a time plus a clamped offset (`adding`) still fit in an Int64.
    public static var limit: Int64 { Int64.max / 4 }
    /// `limit` in whole seconds, rounded up: more seconds than this are past the limit.
    static var limitSeconds: Int64 { limit / 1_000_000 + 1 }

    public init(micros: Int64) { self.micros = min(max(micros, -Self.limit), Self.limit) }

    /// Exact, then saturating: the whole seconds within `micros` join `seconds` first, so
    /// the multiply happens only on a count of seconds known to fit, and a sum past the
    /// range (or past Int64 itself) goes to the end its sign points to.
    public init(seconds: Int, micros: Int) {
        let (s, overflow) = Int64(seconds).addingReportingOverflow(Int64(micros / 1_000_000))
        let total: Int64
        if overflow {
            total = seconds < 0 ? .min : .max  // both addends had this sign
        } else if s > Self.limitSeconds || s < -Self.limitSeconds {
            total = s < 0 ? .min : .max
        } else {
            total = s * 1_000_000 + Int64(micros % 1_000_000)
        }
        self.init(micros: total)
    }

    /// Later than any real event: `advance(to: .distantFuture)` settles everything at the end
    /// of a replay. The latest time an EventTime holds, so no time is ever past it.
    public static let distantFuture = EventTime(micros: limit)

    /// Whole seconds, floored (for RFC 3339).
    public var seconds: Int {
        let q = micros / 1_000_000
        return Int(micros % 1_000_000 < 0 ? q - 1 : q)
    }
    /// The microseconds within `seconds`, 0..<1_000_000.
    public var microsOfSecond: Int {
        let r = micros % 1_000_000
        return Int(r < 0 ? r + 1_000_000 : r)
    }

    /// `s` seconds later (earlier when negative), saturating: an offset beyond the range
    /// (1e300, ±infinity) clamps, and NaN adds nothing. `Int64(Double)` would trap on all of them.
    public func adding(seconds s: Double) -> EventTime {
        adding(micros: Self.micros(seconds: s))
    }

    /// `d` microseconds later (earlier when negative), saturating.
    public func adding(micros d: Int64) -> EventTime {
        let (sum, overflow) = micros.addingReportingOverflow(d)
        return EventTime(micros: overflow ? (d < 0 ? Int64.min : Int64.max) : sum)
    }

    /// Seconds as microseconds, for spans and windows: rounded, clamped to ±2·`limit` (the
    /// widest gap between two times; enough to move any time to either end), NaN as 0.
    public static func micros(seconds s: Double) -> Int64 {
        let d = (s * 1_000_000).rounded()
        let span = 2 * limit
        if d.isNaN { return 0 }
        if d >= Double(span) { return span }
        if d <= -Double(span) { return -span }
        return Int64(d)
    }

    /// Microseconds from `earlier` to self (both within ±`limit`: no overflow).
    public func micros(since earlier: EventTime) -> Int64 { micros &- earlier.micros }

    public static func < (a: EventTime, b: EventTime) -> Bool { a.micros < b.micros }

    public var description: String { RFC3339.format(seconds: seconds, micros: microsOfSecond) }

    /// "22:48:02" (UTC): the time of day, for badges and timelines.
    public var clock: String { String(description.dropFirst(11).prefix(8)) }
}
