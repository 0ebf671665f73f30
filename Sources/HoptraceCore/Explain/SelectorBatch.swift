/// Which flows explain mode traces, and when the trace tables are rewritten. Every rewrite is
/// one `nft` transaction per namespace, so `watch --explain` must not make one per new flow
/// (3,000 UDP datagrams to distinct ports kept a run busy for minutes): new flows are `add`ed,
/// and `due(now:)` hands out the newest `capacity` flows' selectors at most once per
/// `interval`, and only when something changed since the last apply.
///
/// `wanted` is what should be traced (oldest first); `applied` is what the kernel has. A failed
/// apply is `discardPending()`: the flows not applied are dropped (the caller says so), and
/// nothing is retried until another flow arrives. Times are seconds on any monotonic clock.
public struct SelectorBatch: Sendable {
    public let capacity: Int
    public let interval: Double
    /// What should be traced: the newest `capacity` flows, oldest first.
    public private(set) var wanted: [(flowID: Int, selectors: [TraceSelector])] = []
    /// What the last successful apply installed.
    public private(set) var applied: [(flowID: Int, selectors: [TraceSelector])] = []
    /// When the last apply happened (successful or not); nil before the first.
    public private(set) var lastApply: Double?

    public init(capacity: Int, interval: Double = 0.1) {
        self.capacity = max(1, capacity)
        self.interval = interval
    }

    /// Something was added since the last apply.
    public var hasPending: Bool { !Self.same(wanted, applied) }

    public func isApplied(_ flowID: Int) -> Bool { applied.contains { $0.flowID == flowID } }
    public func isWanted(_ flowID: Int) -> Bool { wanted.contains { $0.flowID == flowID } }

    /// Adds a flow to what should be traced (the oldest beyond `capacity` fall out). Returns
    /// false when it was already there.
    @discardableResult
    public mutating func add(flowID: Int, selectors: [TraceSelector]) -> Bool {
        guard !isWanted(flowID) else { return false }
        wanted.append((flowID, selectors))
        if wanted.count > capacity { wanted.removeFirst(wanted.count - capacity) }
        return true
    }

    /// The selectors to install now, or nil: nothing changed since the last apply, or the last
    /// apply was less than `interval` ago. The caller installs them and calls `applied(now:)`
    /// (or `discardPending(now:)` if that failed).
    public func due(now: Double) -> [TraceSelector]? {
        guard hasPending else { return nil }
        if let lastApply, now - lastApply < interval, now >= lastApply { return nil }
        return wanted.flatMap(\.selectors)
    }

    /// `wanted` is in the kernel now.
    public mutating func markApplied(now: Double) {
        applied = wanted
        lastApply = now
    }

    /// The apply failed: what was not applied is forgotten; the kernel still has `applied`.
    public mutating func discardPending(now: Double) {
        wanted = applied
        lastApply = now
    }

    /// Explain mode off: nothing traced, nothing pending.
    public mutating func reset() {
        wanted.removeAll()
        applied.removeAll()
        lastApply = nil
    }

    private static func same(_ a: [(flowID: Int, selectors: [TraceSelector])], _ b: [(flowID: Int, selectors: [TraceSelector])]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.flowID == $1.flowID }
    }
}
