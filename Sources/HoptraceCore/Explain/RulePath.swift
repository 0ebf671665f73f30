/// One step of a traced packet through nftables: a rule that matched, a chain's policy,
/// or the end of a regular chain.
public struct RuleStep: Sendable, Equatable, CustomStringConvertible {
    public var family: NFTFamily?
    public var table: String
    public var chain: String
    public var kind: TraceEvent.Kind
    public var handle: UInt64?
    /// The rule as `nft list` prints it (`NFTRuleset.Rule.text`); nil when that is unknown.
    public var ruleText: String?
    public var verdict: TraceVerdict?

    public init(family: NFTFamily?, table: String, chain: String, kind: TraceEvent.Kind,
                handle: UInt64? = nil, ruleText: String? = nil, verdict: TraceVerdict? = nil) {
        self.family = family
        self.table = table
        self.chain = chain
        self.kind = kind
        self.handle = handle
        self.ruleText = ruleText
        self.verdict = verdict
    }

    /// `ip filter FORWARD`
    public var chainName: String { "\(family.map { "\($0)" } ?? "?") \(table) \(chain)" }

    /// What the packet's fate was, in the rule's own words: a REJECT reports NF_DROP to the
    /// tracer, but the rule says `reject`, which is what the user wrote and must read.
    public var action: String {
        if verdict == .drop, let t = ruleText, Self.words(t).contains("reject") { return "reject" }
        return verdict.map { "\($0)" } ?? "?"
    }

    /// True for a REJECT rule (an ICMP error or TCP reset was sent back).
    public var isReject: Bool { action == "reject" }

    /// `ip filter FORWARD policy drop`,
    /// `ip filter FORWARD rule handle 4: meta l4proto icmp counter reject`,
    /// `ip filter FORWARD rule handle 9 (verdict drop)` when the rule's text is unknown.
    public var description: String {
        switch kind {
        case .policy:
            return "\(chainName) policy \(verdict.map { "\($0)" } ?? "?")"
        case .return:
            return "\(chainName) return"
        case .rule, .unknown:
            let h = handle.map { " handle \($0)" } ?? ""
            guard let text = ruleText else { return "\(chainName) rule\(h) (verdict \(verdict.map { "\($0)" } ?? "?"))" }
            // nft prints the verdict as the rule's last word; say it only when it differs.
            let last = Self.words(text).last ?? ""
            let shown = verdict.map { "\($0)" } ?? ""
            let suffix = shown.isEmpty || last == shown || last == action || text.hasSuffix(shown) ? "" : " (verdict \(shown))"
            return "\(chainName) rule\(h): \(text)\(suffix)"
        }
    }

    static func words(_ s: String) -> [Substring] { s.split(separator: " ") }
}

/// Everything the kernel reported about one traced packet, in order, and the verdict that
/// decided its fate: the first drop (a packet dropped in a chain goes no further), otherwise
/// the last accept.
public struct RulePath: Sendable, Equatable {
    /// The namespace the trace came from (nil: hoptrace's own).
    public var netns: String?
    /// The trace ids the kernel used for this packet (one per hook on 6.x kernels).
    public var traceIDs: [UInt32]
    /// The packet as each hook first saw it (NAT may rewrite it between hooks).
    public var packets: [DecodedPacket]
    /// Interfaces (ifindex in the traced namespace) as last reported.
    public var iif: UInt32?
    public var oif: UInt32?
    /// The conntrack entry's id, when the kernel reports it (Linux ≥ 6.13).
    public var conntrackID: UInt32?
    /// 0 original, 1 reply, when reported.
    public var conntrackDirection: UInt8?
    public var steps: [RuleStep]
    /// When the first event arrived (the caller's clock), for matching with journeys.
    public var firstSeen: EventTime?

    public init(netns: String? = nil, traceIDs: [UInt32] = [], packets: [DecodedPacket] = [], steps: [RuleStep] = []) {
        self.netns = netns
        self.traceIDs = traceIDs
        self.packets = packets
        self.steps = steps
    }

    /// The step that decided: the first drop/queue/stolen, else the last accept; nil when
    /// no chain has decided yet.
    public var final: RuleStep? {
        if let stop = steps.first(where: { ($0.verdict?.isTerminal ?? false) && $0.verdict != .accept }) { return stop }
        return steps.last { $0.verdict == .accept }
    }

    public var dropped: Bool { final?.verdict == .drop }

    /// The final verdict as one line: `ip filter FORWARD policy drop`.
    public var verdictText: String? { final.map { "\($0)" } }

    /// The whole path, one step a line, for an explain view.
    public var lines: [String] {
        steps.map { step in
            switch step.kind {
            case .rule where !(step.verdict?.isTerminal ?? false) && !isJumpLike(step.verdict):
                return "\(step) → \(step.verdict.map { "\($0)" } ?? "?")"
            default:
                return "\(step)"
            }
        }
    }

    private func isJumpLike(_ v: TraceVerdict?) -> Bool {
        switch v {
        case .jump, .goto: true
        default: false
        }
    }

    /// The packet's key as first seen (before any NAT).
    public var firstKey: FlowKey? { packets.first.flatMap(FlowKey.init(packet:)) }

    /// Whether any of the packet's forms has one of `keys` (a flow's request and reply keys).
    public func matches(any keys: [FlowKey]) -> Bool {
        packets.contains { p in FlowKey(packet: p).map(keys.contains) ?? false }
    }
}

/// Turns trace events, as they arrive, into one RulePath per packet. Events of hoptrace's own
/// tracing tables (`hoptrace_*`) are left out. A new trace id whose packet has the same
/// identity (IP id, length, protocol, ICMP seq / TCP seq — what NAT does not touch) as a
/// path already open continues that path: the kernel gives each hook its own id.
/// Bounded: the oldest paths are forgotten beyond `capacity`.
public struct RulePathBuilder: Sendable {
    public private(set) var paths: [RulePath] = []
    public let capacity: Int
    /// The namespace whose events this builder receives (one builder per namespace).
    public let netns: String?
    private var byID: [UInt32: Int] = [:]
    private var bySignature: [PacketSignature: Int] = [:]
    private var base = 0  // number of paths dropped from the front

    public init(netns: String? = nil, capacity: Int = 512) {
        self.netns = netns
        self.capacity = max(1, capacity)
    }

    /// Adds one event; `ruleset` supplies rule texts (those of the event's chain already read:
    /// `NFTRuleset.loadRuleTexts(for:list:)`); `time` stamps a new path.
    /// Returns the index of the path it went to (nil for events of hoptrace's own tables).
    @discardableResult
    public mutating func add(_ e: TraceEvent, ruleset: NFTRuleset?, time: EventTime? = nil) -> Int? {
        if e.table.hasPrefix(TraceTable.namePrefix) {
            // Our own table: not part of the user's rule path, but its first event carries the
            // headers as the packet entered the hook; use them to open the path.
            if let p = e.packet { _ = slot(for: e, packet: p, time: time) }
            return nil
        }
        let i = slot(for: e, packet: e.packet, time: time)
        // The first event of a hook is the packet itself (a rule event without a handle whose
        // verdict is continue, `nft monitor trace`'s "packet:" line): headers, not a step.
        if e.kind == .rule, e.ruleHandle == nil, e.verdict == .continue || e.verdict == nil {
            var path = paths[i - base]
            path.iif = e.iif ?? path.iif
            path.oif = e.oif ?? path.oif
            path.conntrackID = e.conntrackID ?? path.conntrackID
            path.conntrackDirection = e.conntrackDirection ?? path.conntrackDirection
            paths[i - base] = path
            return i
        }
        var path = paths[i - base]
        path.iif = e.iif ?? path.iif
        path.oif = e.oif ?? path.oif
        path.conntrackID = e.conntrackID ?? path.conntrackID
        path.conntrackDirection = e.conntrackDirection ?? path.conntrackDirection
        let text = e.ruleHandle.flatMap { ruleset?.ruleText(family: e.family, table: e.table, chain: e.chain, handle: $0) }
        path.steps.append(RuleStep(family: e.family, table: e.table, chain: e.chain, kind: e.kind,
                                   handle: e.ruleHandle, ruleText: text, verdict: e.verdict))
        paths[i - base] = path
        return i
    }

    /// Whether the ruleset lacks a rule the event names: the rule is newer than the dump, time
    /// to dump it again. A rule the dump has but whose text nft could not list is not a reason:
    /// another dump would not list it either.
    public static func needsRuleset(_ e: TraceEvent, _ ruleset: NFTRuleset?) -> Bool {
        guard e.kind == .rule, let h = e.ruleHandle, !e.table.hasPrefix(TraceTable.namePrefix) else { return false }
        return ruleset?.rule(family: e.family, table: e.table, chain: e.chain, handle: h) == nil
    }

    private mutating func slot(for e: TraceEvent, packet: DecodedPacket?, time: EventTime?) -> Int {
        if let i = byID[e.id], i >= base {
            if let p = packet, !paths[i - base].packets.contains(p) { paths[i - base].packets.append(p) }
            return i
        }
        let signature = packet.map(PacketSignature.init)
        if let s = signature, let i = bySignature[s], i >= base {
            byID[e.id] = i
            paths[i - base].traceIDs.append(e.id)
            if let p = packet, !paths[i - base].packets.contains(p) { paths[i - base].packets.append(p) }
            return i
        }
        var path = RulePath(netns: netns, traceIDs: [e.id], packets: packet.map { [$0] } ?? [])
        path.firstSeen = time
        paths.append(path)
        let i = base + paths.count - 1
        byID[e.id] = i
        if let s = signature { bySignature[s] = i }
        if paths.count > capacity {
            paths.removeFirst()
            base += 1
            byID = byID.filter { $0.value >= base }
            bySignature = bySignature.filter { $0.value >= base }
        }
        return i
    }
}

/// What stays the same while a packet is NATed (see JourneySignature).
struct PacketSignature: Hashable, Sendable {
    var proto: UInt8
    var ipID: UInt16
    var length: Int
    var a: UInt32 = 0
    var b: UInt32 = 0

    init(_ p: DecodedPacket) {
        proto = p.proto ?? 0
        ipID = p.ipID
        length = p.length
        switch p.transport {
        case .icmp(let type, _, _, let seq), .icmpv6(let type, _, _, let seq):
            a = UInt32(type) << 16 | UInt32(seq ?? 0)
        case .tcp(_, _, let flags, let seq, let ack, _):
            a = seq
            b = ack ^ UInt32(flags)
        default:
            break
        }
    }
}
