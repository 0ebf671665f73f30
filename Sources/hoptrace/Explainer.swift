import HoptraceCapture
import HoptraceCore

/// Explain mode's owner: one nftables trace table per watched namespace, tracing the
/// packets of the flows asked about (the newest `capacity` of them, never all
/// traffic), and the rule paths the kernel reports for them.
final class Explainer {
    let sessions: TraceSessions
    let capacity: Int
    private var traced: [(flowID: Int, selectors: [TraceSelector])] = []
    /// The final verdict already reported per traced packet (bounded with the sessions' paths).
    private var reported: [String: String] = [:]

    init(namespaces: [String?], capacity: Int = 16) throws {
        sessions = try TraceSessions.open(netns: namespaces, selectors: [])
        self.capacity = capacity
    }

    var fds: [Int32] { sessions.fds }
    var paths: [RulePath] { sessions.paths }
    func isTracing(_ flowID: Int) -> Bool { traced.contains { $0.flowID == flowID } }

    /// Adds the flow's packets (request and reply, before and after NAT) to what is traced.
    func trace(_ flow: Flow) throws {
        guard !isTracing(flow.id) else { return }
        traced.append((flow.id, TraceSelector.forFlow(flow)))
        if traced.count > capacity { traced.removeFirst(traced.count - capacity) }
        try sessions.setSelectors(traced.flatMap(\.selectors))
    }

    /// Reads the kernel's trace events; returns the rule paths whose final verdict is new.
    func drain(now: EventTime) -> [RulePath] {
        for s in sessions.sessions { _ = s.drain(now: now) }
        var out: [RulePath] = []
        let all = sessions.paths
        if reported.count > 4 * max(64, all.count) { reported.removeAll() }
        for p in all {
            guard let v = p.verdictText else { continue }
            let key = "\(p.netns ?? "-")/\(p.traceIDs.first ?? 0)"
            if reported[key] != v {
                reported[key] = v
                out.append(p)
            }
        }
        return out
    }

    func close() { sessions.removeAll() }
    deinit { close() }
}
