import HoptraceCore

/// Everything the UI remembers between frames. A value: `handle` changes it, `render` reads it.
///
/// Pause: `p` takes a `Frozen` copy of what the panes show (flows, both logs, the clock)
/// and keeps it here, so the executable keeps feeding the session and the header's
/// counters keep moving while the panes stand still. `p` again drops the copy.
public struct UIState: Sendable {
    public enum Pane: Int, Sendable, CaseIterable {
        case flows, journey, conntrack, packets
        var title: String {
            switch self {
            case .flows: "Flows"
            case .journey: "Journey"
            case .conntrack: "Conntrack"
            case .packets: "Packets"
            }
        }
    }

    public enum SortOrder: Int, Sendable, CaseIterable {
        case newest, oldest, verdict, proto, packets
        var label: String {
            switch self {
            case .newest: "newest first"
            case .oldest: "oldest first"
            case .verdict: "problems first"
            case .proto: "protocol"
            case .packets: "most packets"
            }
        }
        var next: SortOrder { SortOrder(rawValue: (rawValue + 1) % SortOrder.allCases.count)! }
    }

    /// What the panes showed when `p` was pressed.
    public struct Frozen: Sendable {
        public var flows: [Flow]
        public var packets: [Session.PacketEntry]
        public var conntrack: [Session.ConntrackEntry]
        public var now: EventTime
    }

    public var focus: Pane = .flows
    /// The selected flow by id, so a re-sort or new flows never move the selection to
    /// another flow. nil (or a flow no longer listed): the first row that is not control
    /// traffic, which `TUI.settle` then pins here.
    public var selectedFlowID: Int?
    /// First flow row shown.
    public var flowsTop = 0
    /// Journeys back from the latest (↑ in the journey pane shows older exchanges).
    public var journeyBack = 0
    /// Lines up from the newest (0: following the tail).
    public var conntrackBack = 0
    public var packetsBack = 0
    public var sort: SortOrder = .newest
    /// The applied flow filter (`/`): whitespace-separated words, all must match; `!word` excludes.
    public var filter = ""
    /// `a`: link-local control flows (ND, MLD, IGMP, DHCP, …) listed one by one; false: one
    /// folded row per namespace under the flows. `watch --all` starts with true.
    public var showControl = false
    /// The filter being typed; nil when no prompt is open.
    public var prompt: String?
    /// `f`: the packets pane shows only this flow.
    public var followFlowID: Int?
    public var frozen: Frozen?
    public var detailOpen = false
    public var detailTop = 0
    public var helpOpen = false
    /// One line the executable reports back (a lab change, explain mode): shown on the
    /// status line until the next key.
    public var message: String?

    public init() {}

    public var paused: Bool { frozen != nil }
}

/// What the panes read: the session live, or the frozen copy while paused.
struct PaneData {
    var flows: [Flow]
    var packets: [Session.PacketEntry]
    var conntrack: [Session.ConntrackEntry]
    var now: EventTime
    var totalFlows: Int

    init(session: Session, state: UIState) {
        if let f = state.frozen {
            flows = f.flows
            packets = f.packets
            conntrack = f.conntrack
            now = f.now
        } else {
            flows = session.correlator.allFlows
            packets = session.packetLog.elements
            conntrack = session.conntrackLog.elements
            now = session.now
        }
        totalFlows = flows.count
    }

    /// The flow list: filtered, sorted, control traffic folded unless shown.
    func listing(_ state: UIState) -> FlowList.Listing {
        FlowList.listing(flows, filter: state.filter, sort: state.sort, showControl: state.showControl)
    }

    /// The flow rows in order (the selectable ones: without the folded rows).
    func rows(_ state: UIState) -> [Flow] { listing(state).flows }
}

extension UIState.Frozen {
    init(session: Session) {
        flows = session.correlator.allFlows
        packets = session.packetLog.elements
        conntrack = session.conntrackLog.elements
        now = session.now
    }
}

/// Filtering and sorting of the flow table, and the selection in it.
enum FlowList {
    /// What the flows pane lists: a row per flow, then the folded control traffic.
    struct Listing {
        var flows: [Flow]
        /// One row per namespace under the flows; empty while control traffic is shown.
        var folds: [ControlFold]
        var count: Int { flows.count + folds.count }
    }

    static func listing(_ flows: [Flow], filter: String, sort: UIState.SortOrder, showControl: Bool) -> Listing {
        let all = rows(flows, filter: filter, sort: sort)
        guard !showControl else { return Listing(flows: all, folds: []) }
        var kept: [Flow] = [], control: [Flow] = []
        kept.reserveCapacity(all.count)
        for f in all {
            if f.controlTraffic == nil { kept.append(f) } else { control.append(f) }
        }
        return Listing(flows: kept, folds: ControlFold.fold(control))
    }

    static func rows(_ flows: [Flow], filter: String, sort: UIState.SortOrder) -> [Flow] {
        let wanted = words(filter)
        let kept = wanted.isEmpty ? flows : flows.filter { matches($0, words: wanted) }
        return kept.sorted { a, b in
            switch sort {
            case .newest: return a.id > b.id
            case .oldest: return a.id < b.id
            case .verdict:
                let (ra, rb) = (severity(a.verdict.state), severity(b.verdict.state))
                return ra != rb ? ra < rb : a.id > b.id
            case .proto: return a.proto != b.proto ? a.proto < b.proto : a.id > b.id
            case .packets: return a.packets != b.packets ? a.packets > b.packets : a.id > b.id
            }
        }
    }

    static func words(_ filter: String) -> [String] {
        filter.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Whether `f` has a row of its own (filter and folding), without listing every flow.
    static func isListed(_ f: Flow, _ state: UIState) -> Bool {
        (state.showControl || f.controlTraffic == nil) && matches(f, words: words(state.filter))
    }

    /// Problems first.
    static func severity(_ s: Verdict.State) -> Int {
        switch s {
        case .vanished: 0
        case .icmpError: 1
        case .unreplied: 2
        case .inFlight: 3
        case .seen, .uncaptured: 4
        case .delivered: 5
        case .replied: 6
        }
    }

    /// Every word (or `!word`, excluded) must occur in what the flow row and its
    /// verdict say: addresses (before and after NAT), ports, protocol, verdict state and place.
    static func matches(_ f: Flow, words: [String]) -> Bool {
        let hay = haystack(f)
        return words.allSatisfy { w in
            if w.hasPrefix("!"), w.count > 1 { return !hay.contains(String(w.dropFirst())) }
            return hay.contains(w)
        }
    }

    static func haystack(_ f: Flow) -> String {
        var parts = [IPProtocol.name(f.proto), "\(f.orig.src)", "\(f.orig.dst)", "id:\(f.id)"]
        if IPProtocol.isTCPOrUDP(f.proto) {
            parts += ["port:\(f.orig.sport)", "port:\(f.orig.dport)", ":\(f.orig.sport)", ":\(f.orig.dport)"]
        }
        if let r = f.reply { parts += ["\(r.src)", "\(r.dst)"] }
        for n in f.nat { parts += [n.kind.rawValue, n.to, n.from] }
        parts += [f.verdict.state.rawValue, f.verdict.reason, f.verdict.at.map { "\($0)" } ?? ""]
        if let s = f.conntrackState { parts.append(s) }
        return parts.joined(separator: " ").lowercased()
    }

    /// Index of the selected flow in `rows`. When the selection is gone (or there is none
    /// yet): the first row that is not control traffic — listed with `a`, it may be chosen
    /// with the keys or the mouse, never for the user; nil when there is no other.
    static func selectedIndex(_ rows: [Flow], _ state: UIState) -> Int? {
        if let id = state.selectedFlowID, let i = rows.firstIndex(where: { $0.id == id }) { return i }
        return rows.firstIndex { $0.controlTraffic == nil }
    }

    /// The first row shown so the selection stays visible.
    static func top(for selected: Int?, current: Int, visible: Int, count: Int) -> Int {
        guard visible > 0, count > visible else { return 0 }
        var top = min(max(0, current), count - visible)
        if let s = selected {
            if s < top { top = s }
            if s >= top + visible { top = s - visible + 1 }
        }
        return top
    }
}
