import HoptraceCapture
import HoptraceCore

/// Explain mode's owner: one nftables trace table per watched namespace, tracing the
/// packets of the flows asked about (the newest `capacity` of them, never all
/// traffic), and the rule paths the kernel reports for them.
///
/// Explain mode can be turned off and on again (`x`, `x`, `x` in the live view) on the same
/// Explainer: `close()` removes every table and forgets what was traced; the next `trace`
/// opens the sessions again and installs the tables. Each returns the status line's sentence,
/// built from what happened (how many tables were installed or removed, or the error), so the
/// view never claims tracing that is not in the kernel.
///
/// Rewriting the tables is one `nft` transaction per namespace. `trace` (the live view's `x`,
/// which the user waits for) applies at once; `enqueue` (`--explain`'s new flows) only collects,
/// and `flushIfDue` applies what was collected at most once per `SelectorBatch.interval`: a
/// burst of new flows costs one transaction, not one each.
final class Explainer {
    let namespaces: [String?]
    let capacity: Int
    /// The open sessions, nil while explain mode is off. A closed TraceSessions has no sessions
    /// and would accept selectors silently; it is never kept.
    private var sessions: TraceSessions?
    /// What is traced (`applied`) and what should be (`wanted`, with the enqueued flows).
    private var batch: SelectorBatch
    /// The final verdict already reported per traced packet (bounded with the sessions' paths).
    private var reported: [String: String] = [:]

    init(namespaces: [String?], capacity: Int = 16) throws {
        self.namespaces = namespaces
        self.capacity = capacity
        batch = SelectorBatch(capacity: capacity)
        sessions = try TraceSessions.open(netns: namespaces, selectors: [])
    }

    /// Whether the tables are installed (explain mode on).
    var isOn: Bool { sessions != nil }
    var fds: [Int32] { sessions?.fds ?? [] }
    var paths: [RulePath] { sessions?.paths ?? [] }
    /// The flow's selectors are in the kernel (not merely enqueued).
    func isTracing(_ flowID: Int) -> Bool { isOn && batch.isApplied(flowID) }

    /// Adds the flow's packets (request and reply, before and after NAT) to what is traced,
    /// installing the tables first if explain mode was off; flows enqueued so far go in with it.
    /// On failure nothing is recorded as traced (the error says why). Returns the status line's sentence.
    @discardableResult
    func trace(_ flow: Flow, now: Double = Monotonic.now) throws -> String {
        if let sessions, isTracing(flow.id) { return tracingMessage(flow.id, sessions) }
        var next = batch
        next.add(flowID: flow.id, selectors: TraceSelector.forFlow(flow))
        let selectors = next.wanted.flatMap(\.selectors)
        let group: TraceSessions
        if let sessions {
            do {
                try sessions.setSelectors(selectors)
            } catch {
                // Namespaces already switched go back to what is applied.
                try? sessions.setSelectors(batch.applied.flatMap(\.selectors))
                throw error
            }
            group = sessions
        } else {
            group = try TraceSessions.open(netns: namespaces, selectors: selectors)
            sessions = group
        }
        next.markApplied(now: now)
        batch = next
        return tracingMessage(flow.id, group)
    }

    /// `--explain`: the flow is traced at the next `flushIfDue` (within the batch interval).
    /// Only while explain mode is on: nothing is collected for tables that are not there.
    func enqueue(_ flow: Flow) {
        guard isOn else { return }
        batch.add(flowID: flow.id, selectors: TraceSelector.forFlow(flow))
    }

    /// Applies the enqueued flows if any and the last apply is at least the batch interval old:
    /// one transaction per namespace with the newest `capacity` flows. On failure the enqueued
    /// flows are dropped (not retried every turn) and the error is thrown; the namespaces
    /// already switched go back to what was applied.
    func flushIfDue(now: Double = Monotonic.now) throws {
        guard let sessions, let selectors = batch.due(now: now) else { return }
        do {
            try sessions.setSelectors(selectors)
        } catch {
            try? sessions.setSelectors(batch.applied.flatMap(\.selectors))
            batch.discardPending(now: now)
            throw error
        }
        batch.markApplied(now: now)
    }

    private func tracingMessage(_ flowID: Int, _ group: TraceSessions) -> String {
        let installed = group.sessions.filter(\.isInstalled)
        return "explain: tracing flow \(flowID) with nftables (\(Self.table(installed)) in \(Self.count(installed.count))); "
            + "its next packets show the rule path"
    }

    private static func table(_ sessions: [TraceSession]) -> String { "inet " + (sessions.first?.tableName ?? "hoptrace") }
    private static func count(_ n: Int) -> String { n == 1 ? "1 namespace" : "\(n) namespaces" }

    /// Reads the kernel's trace events; returns the rule paths whose final verdict is new.
    func drain(now: EventTime) -> [RulePath] {
        guard let sessions else { return [] }
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

    /// Explain mode off: removes every table and forgets the traced flows (the next `trace`
    /// installs again). Returns the status line's sentence: what was removed, or what was not.
    @discardableResult
    func close() -> String {
        guard let sessions else { return "explain off" }
        let installed = sessions.sessions.filter(\.isInstalled)
        let errors = sessions.removeAll()
        self.sessions = nil
        batch.reset()
        reported.removeAll()
        guard errors.isEmpty else {
            return "explain off, but \(Self.table(installed)) was not removed: " + errors.map(\.description).joined(separator: "; ")
        }
        return "explain off: \(Self.table(installed)) removed from \(Self.count(installed.count))"
    }

    deinit { close() }
}
