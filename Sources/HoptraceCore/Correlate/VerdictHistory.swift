/// What a finished exchange (a request and what came of it) ended as.
public enum ExchangeOutcome: UInt8, Sendable, CaseIterable {
    case replied = 1
    case unreplied
    case vanished
    /// The answer (reply) vanished on its way back.
    case replyVanished
    case icmpError
    /// Multicast or broadcast delivered: nobody owes it an answer.
    case delivered

    /// One character for a history strip: ✓ answered, ✗ lost or unanswered, ! an ICMP error, · delivered.
    public var mark: Character {
        switch self {
        case .replied: "✓"
        case .unreplied, .vanished, .replyVanished: "✗"
        case .icmpError: "!"
        case .delivered: "·"
        }
    }
}

/// Counts of what the flow's recent exchanges (the journeys it holds) came to, and the
/// last few outcomes in order — for NDJSON `verdict.window` and the TUI's history strip.
/// Plain integers: it is rebuilt whenever the flow is judged.
public struct VerdictWindow: Sendable, Equatable {
    public var replied = 0
    public var unreplied = 0
    /// Requests or their replies that vanished.
    public var vanished = 0
    public var icmpError = 0
    public var delivered = 0
    /// Requests (or answers) not finished yet.
    public var inFlight = 0
    /// The last `stripLength` outcomes, oldest in the high bits, 4 bits each.
    private var strip: UInt64 = 0
    private var stripCount = 0

    public static let stripLength = 16

    public init() {}

    mutating func add(_ o: ExchangeOutcome) {
        switch o {
        case .replied: replied += 1
        case .unreplied: unreplied += 1
        case .vanished, .replyVanished: vanished += 1
        case .icmpError: icmpError += 1
        case .delivered: delivered += 1
        }
        strip = strip << 4 | UInt64(o.rawValue)
        stripCount = min(stripCount + 1, Self.stripLength)
    }

    /// The last outcomes, oldest first.
    public var recent: [ExchangeOutcome] {
        (0..<stripCount).reversed().compactMap { ExchangeOutcome(rawValue: UInt8(truncatingIfNeeded: strip >> (4 * UInt64($0)) & 0xF)) }
    }

    /// "✓✓✓✗✗": the recent outcomes as marks.
    public var marks: String { String(recent.map(\.mark)) }
}

/// A change of a flow's verdict state: the flow's history (bounded), for the NDJSON
/// `changed` event and the TUI's timeline.
public struct VerdictChange: Sendable, Equatable {
    public var time: EventTime
    public var from: Verdict.State
    public var to: Verdict.State
    /// What the new verdict says (its reason, and a guess at the cause where one is known).
    public var note: String
}
