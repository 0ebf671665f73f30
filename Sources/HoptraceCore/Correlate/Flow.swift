/// A connection as hoptrace follows it: one per conntrack entry, or per 5-tuple where
/// nothing tracks it. A value: what the correlator hands out is a snapshot.
public struct Flow: Sendable {
    /// The ICMP error most recently seen about this flow.
    public struct RelatedError: Sendable, Equatable {
        public var type: UInt8
        public var code: UInt8
        /// Who sent the error.
        public var from: IPAddress
        public var at: CapturePoint
        public var time: EventTime
    }

    /// Stable and increasing: a merged flow keeps the id of the one it merged into.
    public let id: Int
    /// The original direction: as first seen, then as conntrack's orig tuple.
    public internal(set) var orig: FlowKey {
        get { origKey.key }
        set { origKey = PackedFlowKey(newValue) }
    }
    /// conntrack's reply tuple; nil before any conntrack event.
    public internal(set) var reply: FlowKey? {
        get { replyKey?.key }
        set { replyKey = newValue.map(PackedFlowKey.init) }
    }
    private var origKey: PackedFlowKey
    private var replyKey: PackedFlowKey?
    /// conntrack's own tuples (ICMP type/code/id), for output: the last event's (the last of
    /// `events`, which always keeps one).
    public var conntrackOrig: ConntrackEvent.Tuple? { events.last?.orig }
    public var conntrackReply: ConntrackEvent.Tuple? { events.last?.reply }
    /// The namespace whose conntrack reported this flow.
    public internal(set) var conntrackNetns: String? {
        get {
            switch netnsHandle {
            case Self.noNetns: nil
            case Self.netnsInRare: rare?.value.netns
            default: Self.netnsNames.names(netnsHandle).netns
            }
        }
        set {
            guard newValue != conntrackNetns else { return }
            if netnsHandle == Self.netnsInRare { changeRare { $0.netns = nil } }
            guard let name = newValue else {
                netnsHandle = Self.noNetns
                return
            }
            let h = Self.netnsNames.intern(netns: name, iface: "")
            if Self.netnsNames.names(h).netns == name {
                netnsHandle = h
            } else {
                // The table is full: this one name is kept whole, with the rare parts.
                netnsHandle = Self.netnsInRare
                changeRare { $0.netns = name }
            }
        }
    }
    /// Namespace names, apart from the capture points' (a crafted recording naming many
    /// namespaces must not crowd real capture points out of their table).
    static let netnsNames = CapturePointNames(maxCount: 1 << 16, maxNameBytes: 4 << 20)
    /// Status, TCP state and id of the last conntrack event.
    public var conntrackStatus: ConntrackStatus { events.last?.status ?? [] }
    public var conntrackState: String? { events.last?.tcpState.map(ConntrackEvent.stateName) }
    public var conntrackID: UInt32? { events.last?.id }
    public internal(set) var seenReply: Bool {
        get { flags.contains(.seenReply) }
        set { flags.set(.seenReply, newValue) }
    }
    // The small fields together in one word: the protocol, the flags and the namespace's handle.
    public internal(set) var proto: UInt8
    private var flags: Flags = [.verdictByLatest]
    /// `conntrackNetns` interned (a run has a handful of namespaces): a String would cost
    /// every flow two words. Past the table's bound a name is kept in the rare parts.
    private var netnsHandle = Flow.noNetns
    private static let noNetns = UInt32.max, netnsInRare = UInt32.max - 1
    /// ICMP/ICMPv6 echo: the key's ports hold the echo id.
    public internal(set) var echo: Bool {
        get { flags.contains(.echo) }
        set { flags.set(.echo, newValue) }
    }
    /// conntrack destroyed the entry; the flow's keys are unfiled (it is still found by id).
    public internal(set) var ended: Bool {
        get { flags.contains(.ended) }
        set { flags.set(.ended, newValue) }
    }
    /// Some exchange of this flow was ever answered (non-echo flows: a request left without
    /// an answer after that is not yet a failure — a final ACK draws none).
    var everAnswered: Bool {
        get { flags.contains(.everAnswered) }
        set { flags.set(.everAnswered, newValue) }
    }
    /// The verdict is a finished exchange's outcome (not what is in flight).
    var verdictSettled: Bool {
        get { flags.contains(.verdictSettled) }
        set { flags.set(.verdictSettled, newValue) }
    }
    /// Some rewrite in `nat` has stopped (`until` set): a sighting showing it again must clear that.
    var natStopped: Bool {
        get { flags.contains(.natStopped) }
        set { flags.set(.natStopped, newValue) }
    }
    /// The verdict is the latest journey's own (so moving any journey on may change it).
    var verdictByLatest: Bool {
        get { flags.contains(.verdictByLatest) }
        set { flags.set(.verdictByLatest, newValue) }
    }

    private struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let seenReply = Flags(rawValue: 1), echo = Flags(rawValue: 2), ended = Flags(rawValue: 4)
        static let everAnswered = Flags(rawValue: 8), verdictSettled = Flags(rawValue: 16)
        static let natStopped = Flags(rawValue: 32), verdictByLatest = Flags(rawValue: 64)
        mutating func set(_ f: Flags, _ on: Bool) {
            if on { insert(f) } else { remove(f) }
        }
    }
    /// The last conntrack events, oldest first (bounded).
    public var events: ConntrackRecords { ConntrackRecords(ledger: ledger) }
    /// The events and the rewrites, in one buffer.
    private var ledger = FlowLedger()
    /// The last journeys, by first sighting (bounded).
    public internal(set) var journeys: JourneyList = []
    /// Sightings (one packet at three points counts three).
    public internal(set) var requestPackets: Int {
        get { sightings.request }
        set { sightings.request = newValue }
    }
    public internal(set) var replyPackets: Int {
        get { sightings.reply }
        set { sightings.reply = newValue }
    }
    public internal(set) var relatedPackets: Int {
        get { sightings.related }
        set { sightings.related = newValue }
    }
    private var sightings = SightingCounts()
    public internal(set) var firstSeen: EventTime
    public internal(set) var lastSeen: EventTime
    public var nat: NATRewrites { NATRewrites(ledger: ledger) }
    public internal(set) var verdict: Verdict
    /// When the verdict's state last changed (nil: it never has, since the flow began).
    public internal(set) var verdictSince: EventTime? {
        get { verdictSinceValue.value }
        set { verdictSinceValue.value = newValue }
    }
    private var verdictSinceValue = PackedTime()
    /// The verdict's state changes, oldest first (bounded).
    public internal(set) var history: [VerdictChange] = []
    /// The time of the latest conntrack event showing a reply going through (SEEN_REPLY
    /// newly set, or the reply counters grew): evidence of an answer only for requests older than it.
    public internal(set) var replySeenAt: EventTime? {
        get { replySeenAtValue.value }
        set { replySeenAtValue.value = newValue }
    }
    private var replySeenAtValue = PackedTime()
    /// Why the current problem verdict happened (Diagnoser), kept while the verdict stays a problem.
    public internal(set) var diagnosis: Diagnosis? {
        get { rare?.value.diagnosis }
        set {
            // Cleared on every judgement of a verdict that is no problem: no new box then.
            guard newValue != nil || diagnosis != nil else { return }
            changeRare { $0.diagnosis = newValue }
        }
    }
    /// The ICMP error most recently seen about this flow.
    public internal(set) var lastError: RelatedError? {
        get { rare?.value.lastError }
        set {
            guard newValue != lastError else { return }
            changeRare { $0.lastError = newValue }
        }
    }
    /// A userland proxy (docker-proxy) relayed this connection: the pair it makes (`ProxyLinker`).
    public internal(set) var proxy: ProxyLink? {
        get { rare?.value.proxy }
        set {
            guard newValue !== proxy else { return }
            changeRare { $0.proxy = newValue }
        }
    }
    /// diagnosis, lastError, proxy (and a namespace name past its table's bound) behind one
    /// reference, nil while none is set: most flows never have one, and inline they would
    /// cost every flow about 250 bytes (boxed, four words).
    private var rare: Boxed<RareParts>?
    /// Tests: whether the rare parts' box is there.
    var hasRareParts: Bool { rare != nil }

    mutating func appendEvent(_ r: ConntrackRecord, keepingLast bound: Int) { ledger.appendRecord(r, keepingLast: bound) }
    mutating func setEvents(_ records: some Collection<ConntrackRecord>) { ledger.setRecords(records) }
    mutating func appendNAT(_ r: NATRewrite) { ledger.appendRewrite(r) }
    mutating func updateNAT(_ i: Int, _ change: (inout NATRewrite) -> Void) { ledger.updateRewrite(i, change) }
    mutating func forgetNAT() { ledger.removeAllRewrites() }
    /// Which buffer holds the events and rewrites (tests).
    var ledgerIdentity: ObjectIdentifier? { ledger.bufferIdentity }
    private struct RareParts: Sendable {
        var diagnosis: Diagnosis?
        var lastError: RelatedError?
        var proxy: ProxyLink?
        var netns: String?
        var isEmpty: Bool { diagnosis == nil && lastError == nil && proxy == nil && netns == nil }
    }
    private mutating func changeRare(_ change: (inout RareParts) -> Void) {
        var parts = rare?.value ?? RareParts()
        change(&parts)
        rare = parts.isEmpty ? nil : Boxed(parts)
    }

    /// Where in `journeys` the journey index's entry for `sig` is.
    func indexedJourney(_ sig: JourneySignature) -> Int? {
        var i = journeys.endIndex
        while i > journeys.startIndex {
            i -= 1
            if journeys[i].indexed && journeys[i].signature == sig { return i }
        }
        return nil
    }
    /// Entries in the journey index.
    var journeyIndexCount: Int { journeys.reduce(0) { $0 + ($1.indexed ? 1 : 0) } }
    var nextJourneyID = 1
    /// The deadline of this flow's authoritative entry in `FlowTable`'s deadline heap.
    var scheduled: EventTime? {
        get { scheduledValue.value }
        set { scheduledValue.value = newValue }
    }
    private var scheduledValue = PackedTime()
    /// The newest unfinished journey after the one that decided the verdict.
    var pendingJourneyID: Int? {
        get { pendingJourneyValue == 0 ? nil : pendingJourneyValue }
        set { pendingJourneyValue = newValue ?? 0 }
    }
    /// 0 for nil: journey ids start at 1.
    private var pendingJourneyValue = 0
    /// The journey that started the exchange deciding the settled verdict (0: none). Once it
    /// has rolled out of the bounded list, the verdict stands until a newer exchange finishes.
    var decidedJourneyID = 0
    /// The reply packet counter of the last conntrack event that had counters.
    var replyPacketsCounted: UInt64? {
        get { replyPacketsValue == .max ? nil : replyPacketsValue }
        set { replyPacketsValue = newValue.map { Swift.min($0, .max - 1) } ?? .max }
    }
    /// `UInt64.max` for nil (a count saturates one below it): an optional would cost the flow
    /// a word of padding, and its box the next malloc size up.
    private var replyPacketsValue = UInt64.max

    init(id: Int, proto: UInt8, echo: Bool, orig: FlowKey, time: EventTime) {
        self.id = id
        self.proto = proto
        origKey = PackedFlowKey(orig)
        firstSeen = time
        lastSeen = time
        verdict = Verdict(.inFlight, at: nil, reason: "nothing seen yet")
        self.echo = echo
    }

    public var packets: Int { requestPackets + replyPackets + relatedPackets }

    /// What the flow's recent exchanges (the journeys it holds) came to: worked out when asked
    /// (a line or a frame), not kept per flow.
    public var window: VerdictWindow { VerdictPolicy.scan(self).window }

    /// The newest unfinished journey beside a settled verdict (a request in flight or awaiting
    /// its answer), nil when there is none or the verdict is itself in flight.
    public var pending: Journey? {
        guard let id = pendingJourneyID else { return nil }
        return journeys.last { $0.id == id }
    }

    /// "seq 37 in flight after hthost:docker1, next hthost:enX0", "seq 37 delivered to
    /// htremote:enX0 in 5 hops, awaiting reply": what `pending` is doing now.
    public var pendingText: String? {
        guard let j = pending else { return nil }
        let what = j.icmpSeq.map { "seq \($0)" } ?? (j.leg == .request ? "request" : "reply")
        var v = j.verdict
        if j.leg == .request && v.state == .delivered { v.suffixAwaiting() }
        let reason = v.reason
        return reason.isEmpty ? "\(what) in flight" : "\(what) \(reason)"
    }

    /// The most recently started journey.
    public var latestJourney: Journey? { journeys.max { $0.firstTime < $1.firstTime } }

    /// The latest journey, preceded by the request it answers when it is a reply or an
    /// error (ICMP echo: the request with its seq): what one would show as "the last
    /// exchange", request hops then reply hops.
    public var latestExchange: [Journey] {
        guard let last = latestJourney else { return [] }
        guard last.leg != .request else { return [last] }
        let request = journeys.filter {
            $0.leg == .request && $0.firstTime <= last.firstTime && (!echo || last.icmpSeq == nil || $0.icmpSeq == last.icmpSeq)
        }.max { $0.firstTime < $1.firstTime }
        return (request.map { [$0] } ?? []) + [last]
    }

    /// A key of packets going the original way: before NAT (orig) or after (reply reversed).
    func isRequestKey(_ k: FlowKey) -> Bool { k == orig || k == (reply?.reversed() ?? orig) }
}

/// What ingesting an event did to the flow table.
public struct FlowChange: Sendable {
    public enum Kind: String, Sendable { case created, updated, ended }

    public struct What: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The verdict's state, hint or fix changed, or its reason/point did outside in-flight
        /// (a packet merely progressing hop by hop is not reported).
        public static let verdict = What(rawValue: 1)
        public static let nat = What(rawValue: 2)
        public static let conntrack = What(rawValue: 4)
        /// Another flow merged into this one.
        public static let merged = What(rawValue: 8)
        /// ended: conntrack destroyed the entry.
        public static let destroyed = What(rawValue: 16)
        /// ended: evicted to stay within maxFlows.
        public static let evicted = What(rawValue: 32)
        /// The verdict's state changed (`changedFrom` says from what).
        public static let stateChanged = What(rawValue: 64)
    }

    public var kind: Kind
    public var flowID: Int
    public var what: What
    /// ended because it merged into this flow (it was the same connection seen before conntrack named it).
    public var mergedInto: Int?
    /// The verdict's state before this change, when the state changed (`event:"changed"`).
    public var changedFrom: Verdict.State?
    /// The flow as it was when the call returned (when it ended: as it was then).
    public var flow: Flow

    public init(kind: Kind, flowID: Int, what: What, mergedInto: Int? = nil, changedFrom: Verdict.State? = nil, flow: Flow) {
        self.kind = kind
        self.flowID = flowID
        self.what = what
        self.mergedInto = mergedInto
        self.changedFrom = changedFrom
        self.flow = flow
    }
}

/// A value held by reference: immutable, so flows copied from one another share it. For a
/// flow's big or rare parts, which inline would cost every flow their size.
final class Boxed<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// An optional time in one word: `EventTime` stays within ±`limit`, so `Int64.min` is free for nil.
struct PackedTime: Sendable {
    private var micros = Int64.min
    var value: EventTime? {
        get { micros == .min ? nil : EventTime(micros: micros) }
        set { micros = newValue?.micros ?? .min }
    }
}
