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
    }

    public var state: State
    /// The capture point of the last sighting (furthest along the path).
    public var at: CapturePoint?
    public var reason: String
    public var hint: String?
    /// A command that would fix what `hint` describes.
    public var fix: String?

    public init(_ state: State, at: CapturePoint?, reason: String, hint: String? = nil, fix: String? = nil) {
        self.state = state
        self.at = at
        self.reason = reason
        self.hint = hint
        self.fix = fix
    }
}

/// A rewrite NAT made, in the flow's ORIGINAL-direction terms: a reply's un-SNAT is
/// the same SNAT seen from the other side, and is recorded once.
public struct NATRewrite: Sendable, Equatable {
    public enum Kind: String, Sendable { case snat, dnat }

    public var kind: Kind
    /// "src", "dst", "sport", "dport", or "id" (an ICMP echo id remapped by MASQUERADE).
    public var field: String
    public var from: String
    public var to: String
    /// The two capture points, in original-direction order, between which the rewrite
    /// happened; nil when only conntrack's tuples show it.
    public var between: (CapturePoint, CapturePoint)?

    public init(kind: Kind, field: String, from: String, to: String, between: (CapturePoint, CapturePoint)? = nil) {
        self.kind = kind
        self.field = field
        self.from = from
        self.to = to
        self.between = between
    }

    /// Same rewrite, wherever it was seen.
    public func sameRewrite(as o: NATRewrite) -> Bool {
        kind == o.kind && field == o.field && from == o.from && to == o.to
    }

    public static func == (a: NATRewrite, b: NATRewrite) -> Bool {
        a.sameRewrite(as: b) && a.between?.0 == b.between?.0 && a.between?.1 == b.between?.1
    }
}
