/// What became of a journey or a flow, in one line a network engineer can act on.
public struct Verdict: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Seen, still within lossTimeout of its last sighting and not at its path's end.
        case inFlight = "in-flight"
        /// Reached the last point of its expected path (a flow: the request did; no reply yet).
        case delivered
        /// Flow: a reply made it back to the originator's end (or conntrack saw one).
        case replied
        /// Last seen at `at`, not seen at the next expected point within lossTimeout.
        case vanished
        /// Flow: the request was delivered and nothing answered it within lossTimeout.
        case unreplied
        /// Flow: the latest answer was an ICMP error about it.
        case icmpError = "icmp-error"
        /// Seen, but the path is unknown: neither delivered nor vanished can be claimed.
        case seen
        /// Not seen at the next point while hoptrace's capture there was dropping packets
        /// (its kernel buffer was full): a gap in the capture, not evidence of a drop.
        case uncaptured
    }

    /// The capture point of the last sighting (furthest along the path).
    public var at: CapturePoint? {
        get { atHandle == Self.noPoint ? nil : CapturePoint(handle: atHandle) }
        set {
            // The reason may be worded from `at`: keep its words as they were.
            if !text.isLiteral { text = .literal(text.rendered(at: at)) }
            atHandle = newValue?.handle ?? Self.noPoint
        }
    }
    public var reason: String {
        get { text.rendered(at: at) }
        set { text = .literal(newValue) }
    }
    public var hint: String? {
        get { notes?.fields.hint }
        set { note { $0.hint = newValue } }
    }
    /// A command that would fix what `hint` (or `why`) describes: a `SuggestedCommand` rendered
    /// (in its namespace, shell-quoted).
    public var fix: String? {
        get { notes?.fields.fix }
        set { note { $0.fix = newValue } }
    }
    /// Why, from the diagnosis rules (the kernel's trace or the namespaces' facts); nil
    /// until a problem verdict has been diagnosed.
    public var why: String? {
        get { notes?.fields.why }
        set { note { $0.why = newValue } }
    }
    /// The rule that decided, from the kernel's nftables trace: `ip filter FORWARD policy drop`.
    public var rule: String? {
        get { notes?.fields.rule }
        set { note { $0.rule = newValue } }
    }
    /// What the diagnosis behind `why` rests on; nil until a problem verdict has been diagnosed.
    public var evidence: Evidence? {
        get { notes?.fields.evidence }
        set { note { $0.evidence = newValue } }
    }
    // In this order the fields fill 32 bytes, not 40 (a flow holds one verdict, each journey another).
    /// hint, fix, why, rule and evidence behind one reference, nil when there are none
    /// (most verdicts): verdicts are copied with every sighting, and four strings cost
    /// four retains per copy where one box costs one.
    private var notes: VerdictNotes?
    /// The reason, worded only when read: verdicts are re-judged on every sighting and
    /// most of them are never printed.
    var text: ReasonText
    public var state: State
    /// `at`'s handle (`noPoint`: nil; no handle reaches it).
    private var atHandle: UInt32
    private static let noPoint = UInt32.max

    public init(_ state: State, at: CapturePoint?, reason: String, hint: String? = nil, fix: String? = nil) {
        self.init(state, at: at, text: .literal(reason), hint: hint, fix: fix)
    }

    init(_ state: State, at: CapturePoint?, text: ReasonText, hint: String? = nil, fix: String? = nil) {
        self.state = state
        atHandle = at?.handle ?? Self.noPoint
        self.text = text
        if hint != nil || fix != nil { notes = VerdictNotes(.init(hint: hint, fix: fix)) }
    }

    private mutating func note(_ change: (inout VerdictNotes.Fields) -> Void) {
        var fields = notes?.fields ?? VerdictNotes.Fields()
        change(&fields)
        notes = fields.isEmpty ? nil : VerdictNotes(fields)
    }

    /// "reply " before the reason.
    mutating func prefixReply() {
        if text.replyPrefix || text.awaitingSuffix {
            text = .literal("reply " + reason)
        } else {
            text.replyPrefix = true
        }
    }

    /// ", awaiting reply" after the reason.
    mutating func suffixAwaiting() {
        if text.awaitingSuffix {
            text = .literal(reason + ", awaiting reply")
        } else {
            text.awaitingSuffix = true
        }
    }

    /// Whether the reasons read the same (cheap when they are built the same way).
    func sameReason(as o: Verdict) -> Bool {
        if text == o.text && at == o.at { return true }
        return reason == o.reason
    }

    public static func == (a: Verdict, b: Verdict) -> Bool {
        a.state == b.state && a.at == b.at && a.hint == b.hint && a.fix == b.fix && a.why == b.why && a.rule == b.rule
            && a.sameReason(as: b)
    }

    /// A problem a diagnosis can explain.
    public var isProblem: Bool { state == .vanished || state == .unreplied || state == .icmpError }

    /// The diagnosis' why, rule and fix on this verdict (its fix wins over the hint's). A hint
    /// that proposed another fix names another cause: it goes, so the verdict never says
    /// two things (why: reverse-path filtering; hint: add MASQUERADE).
    mutating func explain(with d: Diagnosis) {
        if let own = fix, let theirs = d.fix, own != theirs { hint = nil }
        if fix != nil, d.fix == nil { hint = nil; fix = nil }
        why = d.reason
        rule = d.rule
        if let f = d.fix { fix = f }
        evidence = d.evidence
    }
}

/// A verdict's rarely set texts, immutable: a change makes a new box, so copies of a
/// verdict can share one.
final class VerdictNotes: Sendable {
    struct Fields: Sendable {
        var hint: String?
        var fix: String?
        var why: String?
        var rule: String?
        var evidence: Evidence?

        var isEmpty: Bool { hint == nil && fix == nil && why == nil && rule == nil && evidence == nil }
    }

    let fields: Fields

    init(_ fields: Fields) { self.fields = fields }
}

/// A verdict's reason as the parts it is worded from. Parts that name "the point" use
/// the verdict's `at` ("?" when there is none).
struct ReasonText: Sendable, Equatable {
    enum Core: Sendable, Equatable {
        case literal(String)
        /// "delivered to AT in N hop(s)"
        case deliveredTo(hops: Int)
        /// "in flight after AT, next NEXT"
        case inFlightAfter(next: CapturePoint)
        /// "vanished after AT, before NEXT"
        case vanishedAfter(next: CapturePoint)
        /// "delivered to AT, no reply within W" or "seen at AT (path unknown), no reply within W"
        case unreplied(pathUnknown: Bool, wait: Double)
        /// "reply reached AT in N hop(s)" + " (path unknown)"
        case replied(hops: Int, pathUnknown: Bool)
    }

    var core: Core
    var replyPrefix = false
    var awaitingSuffix = false

    static func literal(_ s: String) -> ReasonText { ReasonText(core: .literal(s)) }

    var isLiteral: Bool {
        if case .literal = core { return !replyPrefix && !awaitingSuffix }
        return false
    }

    func rendered(at: CapturePoint?) -> String {
        var s: String
        let here = at.map { "\($0)" } ?? "?"
        switch core {
        case .literal(let text): s = text
        case .deliveredTo(let n): s = "delivered to \(here) in \(n) hop\(n == 1 ? "" : "s")"
        case .inFlightAfter(let next): s = "in flight after \(here), next \(next)"
        case .vanishedAfter(let next): s = "vanished after \(here), before \(next)"
        case .unreplied(let unknown, let wait):
            let seen = unknown ? "seen at \(here) (path unknown)" : "delivered to \(here)"
            s = "\(seen), no reply within \(VerdictPolicy.seconds(wait))"
        case .replied(let n, let unknown):
            s = "reply reached \(here) in \(n) hop\(n == 1 ? "" : "s")\(unknown ? " (path unknown)" : "")"
        }
        if replyPrefix { s = "reply " + s }
        if awaitingSuffix { s += ", awaiting reply" }
        return s
    }
}

/// A rewrite NAT made, in the flow's ORIGINAL-direction terms: a reply's un-SNAT is
/// the same SNAT seen from the other side, and is recorded once.
///
/// Held as values, worded when read: a SNAT'd flow keeps two of these, and 100k flows
/// kept their text (and a second, raw copy to compare) at ~380 bytes a flow.
public struct NATRewrite: Sendable, Equatable {
    public enum Kind: String, Sendable { case snat, dnat }
    /// Which header field NAT rewrote: "id" is an ICMP echo id remapped by MASQUERADE.
    public enum Field: String, Sendable { case src, dst, sport, dport, id }

    // Packed: 24 bytes, not 64 (a SNAT'd flow keeps two). An IPv4 address or a port is a
    // word; an IPv6 address or a text (either side) holds both values whole, in the rare part.
    // The points' handles are below 2^24 (`CapturePointNames.shared` holds at most 2^20), so
    // the top byte of the first holds kind, field and flags.
    private var rare: Boxed<Rare>?
    private var fromWord: UInt32 = 0
    private var toWord: UInt32 = 0
    /// The first point's handle (low 24 bits) and `Tag`s (top 8).
    private var pointAndTags: UInt32 = 0
    private var secondPoint: UInt32 = 0

    /// What few rewrites have: values that are no word (an IPv6 address, a text), and the
    /// time the rewrite stopped. Behind one reference: 24 bytes a rewrite, not 32.
    private struct Rare: Sendable {
        var values: (from: NATValue, to: NATValue)?
        var until: EventTime?
    }

    private struct Tag: OptionSet {
        let rawValue: UInt32
        static let between = Tag(rawValue: 1 << 31), dnat = Tag(rawValue: 1 << 30)
        /// Which words are IPv4 addresses (else ports or ids), when the rare part holds no values.
        static let fromIsAddress = Tag(rawValue: 1 << 29), toIsAddress = Tag(rawValue: 1 << 28)
        static let fieldShift: UInt32 = 24, fieldMask = Tag(rawValue: 7 << 24)
        static let all = Tag(rawValue: 0xFF00_0000)
    }
    static let handleLimit: UInt32 = 1 << 24

    private var tags: Tag {
        get { Tag(rawValue: pointAndTags & Tag.all.rawValue) }
        set { pointAndTags = pointAndTags & ~Tag.all.rawValue | newValue.rawValue }
    }
    private mutating func setTag(_ t: Tag, _ on: Bool) {
        if on { tags.insert(t) } else { tags.remove(t) }
    }
    private var fromIsAddress: Bool { tags.contains(.fromIsAddress) }
    private var toIsAddress: Bool { tags.contains(.toIsAddress) }

    /// The two capture points, in original-direction order, between which the rewrite
    /// happened; nil when only conntrack's tuples show it.
    public var between: (CapturePoint, CapturePoint)? {
        get {
            guard tags.contains(.between) else { return nil }
            return (CapturePoint(handle: pointAndTags & ~Tag.all.rawValue), CapturePoint(handle: secondPoint))
        }
        set {
            let t = tags
            if let (a, b) = newValue {
                precondition(a.handle < Self.handleLimit, "capture point handle beyond 24 bits")
                pointAndTags = a.handle | t.rawValue
                secondPoint = b.handle
                setTag(.between, true)
            } else {
                pointAndTags = t.rawValue
                secondPoint = 0
                setTag(.between, false)
            }
        }
    }
    public var kind: Kind {
        get { tags.contains(.dnat) ? .dnat : .snat }
        set { setTag(.dnat, newValue == .dnat) }
    }
    public var fieldKind: Field {
        get {
            switch (tags.rawValue & Tag.fieldMask.rawValue) >> Tag.fieldShift {
            case 0: .src
            case 1: .dst
            case 2: .sport
            case 3: .dport
            default: .id
            }
        }
        set {
            let i: UInt32 = switch newValue {
            case .src: 0
            case .dst: 1
            case .sport: 2
            case .dport: 3
            case .id: 4
            }
            tags = Tag(rawValue: tags.rawValue & ~Tag.fieldMask.rawValue | i << Tag.fieldShift)
        }
    }

    public var fromValue: NATValue {
        get { rare?.value.values?.from ?? Self.value(fromWord, address: fromIsAddress) }
        set { pack(from: newValue, to: toValue) }
    }
    public var toValue: NATValue {
        get { rare?.value.values?.to ?? Self.value(toWord, address: toIsAddress) }
        set { pack(from: fromValue, to: newValue) }
    }

    private static func value(_ word: UInt32, address: Bool) -> NATValue {
        address ? .address(.v4(IPv4Address(word))) : .number(UInt16(truncatingIfNeeded: word))
    }

    /// A value as a word and whether it is an address; nil when it does not fit one.
    private static func word(_ v: NATValue) -> (UInt32, Bool)? {
        switch v {
        case .address(.v4(let a)): (a.raw, true)
        case .number(let n): (UInt32(n), false)
        case .address(.v6), .text: nil
        }
    }

    private mutating func pack(from: NATValue, to: NATValue) {
        if let (f, fa) = Self.word(from), let (t, ta) = Self.word(to) {
            (fromWord, toWord) = (f, t)
            setTag(.fromIsAddress, fa)
            setTag(.toIsAddress, ta)
            setRare(values: nil, until: until)
        } else {
            (fromWord, toWord) = (0, 0)
            setTag(.fromIsAddress, false)
            setTag(.toIsAddress, false)
            setRare(values: (from, to), until: until)
        }
    }

    /// Whether the rare part is held (tests: a rewrite of two words and no end holds none).
    var hasRarePart: Bool { rare != nil }

    /// No box when neither part is there.
    private mutating func setRare(values: (from: NATValue, to: NATValue)?, until: EventTime?) {
        rare = values == nil && until == nil ? nil : Boxed(Rare(values: values, until: until))
    }
    /// When a packet first crossed `between` untranslated after this rewrite was seen (the
    /// rule was removed, or the packets went untracked): nil while the rewrite still applies.
    public var until: EventTime? {
        get { rare?.value.until }
        set {
            guard newValue != until else { return }
            setRare(values: rare?.value.values, until: newValue)
        }
    }

    public init(kind: Kind, field: Field, from: NATValue, to: NATValue, between: (CapturePoint, CapturePoint)? = nil) {
        self.kind = kind
        self.fieldKind = field
        self.between = between
        pack(from: from, to: to)
    }

    /// From text ("172.18.0.3", "40001"): values that parse as the field's kind are held as
    /// values (so they equal the correlator's), anything else as the text given.
    public init(kind: Kind, field: Field, from: String, to: String, between: (CapturePoint, CapturePoint)? = nil) {
        self.init(kind: kind, field: field, from: NATValue(text: from, for: field), to: NATValue(text: to, for: field), between: between)
    }

    /// "src", "dst", "sport", "dport", or "id".
    public var field: String { fieldKind.rawValue }
    public var from: String { fromValue.description }
    public var to: String { toValue.description }

    /// Same rewrite, wherever it was seen.
    public func sameRewrite(as o: NATRewrite) -> Bool {
        same(o.kind, o.fieldKind, o.fromValue, o.toValue)
    }

    func same(_ kind: Kind, _ field: Field, _ from: NATValue, _ to: NATValue) -> Bool {
        self.kind == kind && fieldKind == field && fromValue == from && toValue == to
    }

    public static func == (a: NATRewrite, b: NATRewrite) -> Bool {
        a.sameRewrite(as: b) && a.between?.0 == b.between?.0 && a.between?.1 == b.between?.1 && a.until == b.until
    }

    /// Whether hop `b` right after hop `a` (original direction) shows this rewrite's field unchanged.
    func untouched(from a: Hop, to b: Hop) -> Bool {
        switch fieldKind {
        case .src: a.src == b.src
        case .dst: a.dst == b.dst
        case .sport: a.sport != nil && a.sport == b.sport
        case .dport: a.dport != nil && a.dport == b.dport
        case .id: a.icmpID != nil && a.icmpID == b.icmpID
        }
    }
}

/// A rewritten value: an address, or a port or ICMP id (text only when built from text that is neither).
public enum NATValue: Equatable, Sendable, CustomStringConvertible {
    case address(IPAddress)
    case number(UInt16)
    case text(String)

    init(text: String, for field: NATRewrite.Field) {
        switch field {
        case .src, .dst: self = IPAddress(text).map { .address($0) } ?? .text(text)
        case .sport, .dport, .id: self = UInt16(text).map { .number($0) } ?? .text(text)
        }
    }

    public var description: String {
        switch self {
        case .address(let a): a.description
        case .number(let n): String(n)
        case .text(let t): t
        }
    }
}
