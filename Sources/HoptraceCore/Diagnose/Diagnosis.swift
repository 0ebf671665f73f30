/// Why a flow failed, as one line a network engineer can act on, with the kernel's own verdict
/// when nftables tracing saw it. The caller merges it into the flow's verdict / NDJSON:
/// `verdict.reason` ← `reason`, `verdict.rule` ← `rule`, `verdict.fix` ← `fix`.
public struct Diagnosis: Sendable, Equatable {
    /// Which rule produced it (stable, for tests and NDJSON): "forward-drop", "no-route", …
    public var id: String
    public var reason: String
    /// The kernel's final verdict, rendered: `ip filter FORWARD policy drop`.
    public var rule: String?
    /// The concrete command that would fix it: a `SuggestedCommand` rendered (in its namespace,
    /// shell-quoted), so it can be pasted as it is.
    public var fix: String?
    /// Other commands that would also fix it (S5: the sysctl as well as the FORWARD rule), rendered the same way.
    public var alternatives: [String]
    public var evidence: Evidence
    /// The rule that almost applied (issue 18), when the ruleset has one.
    public var nearMiss: NearMissReport?
    /// Where the packet went that nobody watches (a route near miss): the live view offers to watch it.
    public var unwatched: CapturePoint?

    public init(id: String, reason: String, rule: String? = nil, fix: String? = nil,
                alternatives: [String] = [], evidence: Evidence, nearMiss: NearMissReport? = nil) {
        self.id = id
        self.reason = reason
        self.rule = rule
        self.fix = fix
        self.alternatives = alternatives
        self.evidence = evidence
        self.nearMiss = nearMiss
    }
}

/// What the rules look at in a flow: a value tests can build directly, `init(flow:)` from the
/// correlator's Flow.
public struct DiagnosisInput: Sendable {
    public var proto: UInt8
    public var echo: Bool
    /// The original direction and conntrack's reply tuple (nil before any conntrack event).
    public var orig: FlowKey
    public var reply: FlowKey?
    public var verdict: Verdict
    /// The leg whose journey failed (vanished), nil when none did.
    public var failedLeg: Journey.Leg?
    /// The failing journey's hops, in path order (or the latest request's when none failed).
    public var failedHops: [Hop]
    /// Where the failing packet was last seen and the point it was expected at next.
    public var lastSeen: CapturePoint?
    public var nextExpected: CapturePoint?
    /// The latest request journey's hops (S1 looks at what left the uplink).
    public var requestHops: [Hop]
    public var nat: [NATRewrite]
    /// conntrack reported the flow / saw a reply.
    public var conntrackSeen: Bool
    public var conntrackID: UInt32?
    public var seenReply: Bool
    /// The latest ICMP error about the flow: type, code, who sent it, where it was seen.
    public var lastError: (type: UInt8, code: UInt8, from: IPAddress, at: CapturePoint)?

    public init(proto: UInt8, echo: Bool = false, orig: FlowKey, reply: FlowKey? = nil, verdict: Verdict,
                failedLeg: Journey.Leg? = nil, failedHops: [Hop] = [], lastSeen: CapturePoint? = nil,
                nextExpected: CapturePoint? = nil, requestHops: [Hop] = [], nat: [NATRewrite] = [],
                conntrackSeen: Bool = false, conntrackID: UInt32? = nil, seenReply: Bool = false,
                lastError: (type: UInt8, code: UInt8, from: IPAddress, at: CapturePoint)? = nil) {
        self.proto = proto
        self.echo = echo
        self.orig = orig
        self.reply = reply
        self.verdict = verdict
        self.failedLeg = failedLeg
        self.failedHops = failedHops
        self.lastSeen = lastSeen
        self.nextExpected = nextExpected
        self.requestHops = requestHops
        self.nat = nat
        self.conntrackSeen = conntrackSeen
        self.conntrackID = conntrackID
        self.seenReply = seenReply
        self.lastError = lastError
    }

    /// From the correlator's flow: the failing journey is the newest settled one that vanished.
    public init(flow f: Flow) {
        let vanished = f.journeys.filter { $0.verdict.state == .vanished }.max { $0.firstTime < $1.firstTime }
        let latestRequest = f.journeys.filter { $0.leg == .request }.max { $0.firstTime < $1.firstTime }
        var next: CapturePoint?
        if let j = vanished, let at = j.verdict.at, let i = j.path.firstIndex(of: at), i + 1 < j.path.count {
            next = j.path[i + 1]
        }
        self.init(
            proto: f.proto, echo: f.echo, orig: f.orig, reply: f.reply, verdict: f.verdict,
            failedLeg: vanished?.leg, failedHops: (vanished ?? latestRequest).map { Array($0.hops) } ?? [],
            lastSeen: vanished?.verdict.at ?? f.verdict.at, nextExpected: next,
            requestHops: latestRequest.map { Array($0.hops) } ?? [], nat: Array(f.nat), conntrackSeen: f.conntrackID != nil,
            conntrackID: f.conntrackID, seenReply: f.seenReply,
            lastError: f.lastError.map { ($0.type, $0.code, $0.from, $0.at) })
    }

    /// Keys of the request's forms (before and after NAT).
    public var requestKeys: [FlowKey] { [orig] + (reply.map { [$0.reversed()] } ?? []) }
    /// Keys of the reply's forms.
    public var replyKeys: [FlowKey] { (reply.map { [$0] } ?? []) + [orig.reversed()] }

    /// The failure is something the rules should explain.
    public var failed: Bool {
        switch verdict.state {
        case .vanished, .unreplied, .icmpError: true
        case .inFlight, .delivered, .replied, .seen, .uncaptured: failedLeg != nil
        }
    }
}

/// Everything a rule may consult.
public struct DiagnosisContext: Sendable {
    public var input: DiagnosisInput
    public var topology: Topology?
    /// Rule paths of this flow's packets (already matched to the flow), oldest first.
    public var traces: [RulePath]
    public var facts: FactsBook

    public init(input: DiagnosisInput, topology: Topology?, traces: [RulePath], facts: FactsBook) {
        self.input = input
        self.topology = topology
        self.traces = traces
        self.facts = facts
    }

    /// The watched namespace one of whose interfaces has `address` (who sent an ICMP error).
    public func namespace(owning address: IPAddress) -> NamespaceSnapshot? {
        topology?.namespaces.first { ns in ns.interfaces.contains { $0.owns(address) } }
    }

    /// The newest traced path that ended in a drop, with its leg.
    public var droppedTrace: (path: RulePath, step: RuleStep, leg: Journey.Leg)? {
        for p in traces.reversed() {
            guard let step = p.final, step.verdict == .drop else { continue }
            return (p, step, leg(of: p))
        }
        return nil
    }

    /// Request or reply: conntrack's direction when the kernel gave it, else the packet's key.
    public func leg(of p: RulePath) -> Journey.Leg {
        if let d = p.conntrackDirection { return d == 1 ? .reply : .request }
        return p.matches(any: input.replyKeys) && !p.matches(any: input.requestKeys) ? .reply : .request
    }

    /// The interface name for an ifindex of `netns` (trace events carry ifindexes).
    public func interfaceName(_ index: UInt32?, in netns: String?) -> String? {
        guard let index, let ns = topology?.namespace(netns) else { return nil }
        return ns.interface(index: Int(index))?.name
    }
}

/// One independent diagnosis: looks at the context, says something only when its evidence holds.
public protocol DiagnosisRule: Sendable {
    var id: String { get }
    func diagnose(_ c: DiagnosisContext) -> Diagnosis?
}
