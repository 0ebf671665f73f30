/// The kernel's drop reasons (`skb:kfree_skb`) of the last moments, machine-wide: the
/// tracepoint names no namespace and no addresses, so a verdict shows them next to the
/// namespace's counters as corroboration, never as its attribution.
///
/// A ring of at most `capacity` drops (the oldest go); a window reaching back past what was
/// overwritten is said to be a lower bound.
public struct DropReasonHistory: Sendable {
    public static let capacity = 4096

    public struct Entry: Sendable, Equatable {
        public var time: EventTime
        public var reason: String
        public var location: String?

        public init(time: EventTime, reason: String, location: String?) {
            self.time = time
            self.reason = reason
            self.location = location
        }
    }

    private var ring: [Entry] = []
    private var next = 0
    /// The newest drop overwritten: windows starting before it may have lost some.
    private var overwrittenUpTo: EventTime?

    public init() {}

    public mutating func append(_ e: Entry) {
        if ring.count < Self.capacity {
            ring.append(e)
            return
        }
        overwrittenUpTo = max(overwrittenUpTo ?? ring[next].time, ring[next].time)
        ring[next] = e
        next = (next + 1) % Self.capacity
    }

    /// The kernel lost traced drops before `time` (its buffer overflowed): windows starting
    /// before it are lower bounds.
    public mutating func lost(before time: EventTime) {
        overwrittenUpTo = max(overwrittenUpTo ?? time, time)
    }

    /// The drops from `from` to `to`, by reason and the function that freed them, most first.
    public func window(from: EventTime, to: EventTime) -> DropReasonWindow {
        var counts: [DropReasonCount.Key: Int] = [:]
        for e in ring where e.time >= from && e.time <= to {
            counts[DropReasonCount.Key(reason: e.reason, location: e.location), default: 0] += 1
        }
        let sorted = counts.map { DropReasonCount(reason: $0.key.reason, location: $0.key.location, count: $0.value) }
            .sorted { ($0.count, $1.reason, $1.location ?? "") > ($1.count, $0.reason, $0.location ?? "") }
        return DropReasonWindow(counts: sorted, atLeast: overwrittenUpTo.map { $0 >= from } ?? false)
    }
}

public struct DropReasonCount: Sendable, Equatable {
    struct Key: Hashable {
        var reason: String
        var location: String?
    }

    public var reason: String
    public var location: String?
    public var count: Int

    public init(reason: String, location: String?, count: Int) {
        self.reason = reason
        self.location = location
        self.count = count
    }
}

/// What the kernel's drop reasons said over a verdict's window.
public struct DropReasonWindow: Sendable, Equatable {
    public var counts: [DropReasonCount]
    /// Some drops of the window were overwritten: the counts are lower bounds.
    public var atLeast: Bool

    public init(counts: [DropReasonCount], atLeast: Bool = false) {
        self.counts = counts
        self.atLeast = atLeast
    }

    /// "IP_RPFILTER ×3 in ip_rcv_finish_core, NO_SOCKET ×1": the three most frequent, then how
    /// many more; the reasons in `first` (what the diagnosed cause makes the kernel say) lead.
    public func text(first: Set<String> = []) -> String {
        guard !counts.isEmpty else { return "none" }
        let ordered = counts.filter { first.contains($0.reason) } + counts.filter { !first.contains($0.reason) }
        let shown = ordered.prefix(3).map { c in
            "\(c.reason) ×\(atLeast ? "≥" : "")\(c.count)" + (c.location.map { " in \($0)" } ?? "")
        }
        let more = counts.count - shown.count
        return shown.joined(separator: ", ") + (more > 0 ? " and \(more) other reason\(more == 1 ? "" : "s")" : "")
    }
}
