/// The kernel's count behind an inferred diagnosis. A rule that deduced a cause ("likely
/// reverse-path filtering") names the counters the kernel moves for exactly that drop; when one
/// moved in the namespace during the failing requests' window the diagnosis becomes a statement
/// (`evidence: counted`), and when none moved it says the counters do not confirm it.
///
/// Counters are per namespace and count every packet, not this flow's: a count larger than the
/// requests that vanished means other traffic was dropped there too, and is said as ambiguous.
public enum CounterEvidence {
    /// Which counters confirm which diagnosis (ids of the rules in `Diagnoser`), measured in lab
    /// namespaces (see `KernelCounters.meanings`).
    public static let confirming: [String: [String]] = [
        "ip-forward": ["Ip.InAddrErrors"],
        "no-route": ["IpExt.InNoRoutes", "Ip.OutNoRoutes"],
        "rp-filter": ["TcpExt.IPReversePathFilter"],
        // InHdrErrors counts every expiry; OutTimeExcds only the answers the rate limit let out.
        "ttl-exceeded": ["Ip.InHdrErrors"],
        "fragmentation-needed": ["Ip.FragFails"],
        // Not early_drop: that evicts an old entry so the new packet passes.
        "conntrack-full": ["nf_conntrack.drop", "nf_conntrack.insert_failed"],
    ]

    /// What moved while the requests vanished: deltas per namespace over their window, and how many vanished.
    public struct Window: Sendable {
        /// When the first request of the window was sent (nil: not known, in tests).
        public var start: EventTime?
        public var deltas: [String?: [String: Int64]]
        public var vanished: Int
        /// Requests of the window still in flight: dropped maybe, and counted, but not judged yet.
        public var inFlight: Int
        /// The kernel's drop reasons over the window, machine-wide; nil when they are not traced.
        public var reasons: DropReasonWindow?
        public init(start: EventTime? = nil, deltas: [String?: [String: Int64]], vanished: Int, inFlight: Int = 0, reasons: DropReasonWindow? = nil) {
            self.start = start
            self.deltas = deltas
            self.vanished = vanished
            self.inFlight = inFlight
            self.reasons = reasons
        }

        /// What became of the lost requests: "vanished", or "got an ICMP error" (dropped and answered).
        public var lost = "vanished"

        /// "3 requests vanished", "1 request vanished and 1 was in flight", "2 requests were in flight".
        var requests: String {
            if vanished == 0 { return "\(inFlight) request\(inFlight == 1 ? " was" : "s were") in flight" }
            return "\(vanished) request\(vanished == 1 ? "" : "s") \(lost)" + (inFlight > 0 ? " and \(inFlight) \(inFlight == 1 ? "was" : "were") in flight" : "")
        }
    }

    /// The kfree_skb reasons each cause gives (measured on the lab, Linux 6.18): shown first.
    static let expectedReasons: [String: Set<String>] = [
        "ip-forward": ["IP_INADDRERRORS"], "no-route": ["IP_INNOROUTES", "IP_OUTNOROUTES"], "rp-filter": ["IP_RPFILTER"],
        "ttl-exceeded": ["IP_INHDR"], "fragmentation-needed": ["PKT_TOO_BIG"], "conntrack-full": ["NETFILTER_DROP"],
        "forward-vanished": ["NETFILTER_DROP", "PKT_TOO_BIG"],
    ]

    /// Diagnoses that name no cause ("dropped while forwarding, no trace"): any counter that
    /// counts a drop may name it, and conntrack's INVALID (dropped by a rule that drops INVALID).
    public static let open: Set<String> = ["forward-vanished"]
    static let openKeys = KernelCounters.dropKeys + ["nf_conntrack.invalid"]

    /// `d` with the counters' word added (only for inferred diagnoses this table covers, and
    /// only when some namespace was sampled through the window).
    /// Whether `apply` would say anything of `d`: only then is a window worth sampling for.
    public static func covers(_ d: Diagnosis) -> Bool {
        d.evidence == .inferred && (open.contains(d.id) || confirming[d.id] != nil)
    }

    public static func apply(_ d: Diagnosis, _ w: Window) -> Diagnosis {
        guard covers(d) else { return d }
        var out = w.deltas.isEmpty ? d : open.contains(d.id) ? named(d, w) : counted(d, w)
        // The tracepoint names no namespace or address: it corroborates, it does not attribute.
        if let reasons = w.reasons {
            out.reason += reasons.counts.isEmpty
                ? "; the kernel traced no drop with a stated reason meanwhile"
                : "; the kernel's drop reasons meanwhile (machine-wide, not tied to this flow): \(reasons.text(first: expectedReasons[d.id] ?? []))"
        }
        return out
    }

    /// An inferred cause with counters of its own (`confirming`): a statement when one moved.
    static func counted(_ d: Diagnosis, _ w: Window) -> Diagnosis {
        guard let keys = confirming[d.id] else { return d }
        // The namespaces the diagnosis names, when it names any: a count elsewhere is not its cause's.
        let named = w.deltas.filter { d.reason.contains(TopologyError.name($0.key)) }
        let pool = named.isEmpty ? w.deltas : named
        let limit = Int64(w.vanished + w.inFlight)
        var moved: [(netns: String?, key: String, delta: Int64)] = []
        for (netns, deltas) in pool.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
            for key in keys { if let v = deltas[key], v > 0 { moved.append((netns, key, v)) } }
        }
        // The largest count this flow's losses can account for; else the smallest beyond them.
        let fits = moved.filter { $0.delta <= limit }.max { $0.delta < $1.delta }
        let best = fits ?? moved.min { $0.delta < $1.delta }
        var out = d
        let requests = w.requests
        guard let (netns, key, delta) = best else {
            let names = pool.keys.map { TopologyError.name($0) }.sorted().joined(separator: ", ")
            out.reason += "; not confirmed by the kernel's counters (\(keys.joined(separator: " or ")) did not move in \(names) while \(requests))"
            return out
        }
        let counted = "\(key) +\(delta) in \(TopologyError.name(netns)) while \(requests)"
        if delta > limit {
            out.reason += "; counted: \(counted), more than this flow lost, so other traffic was dropped there too: the count does not pin it on this flow"
        } else {
            out.reason = Self.stated(out.reason) + "; counted: \(counted)"
            out.evidence = .counted
        }
        return out
    }

    /// A deduction made a statement: the rule's "likely " goes once the kernel has counted it.
    static func stated(_ reason: String) -> String {
        reason.hasPrefix("likely ") ? String(reason.dropFirst("likely ".count)) : reason
    }

    /// A diagnosis that names no cause, given the one the counters name: the drop counter that
    /// moved in its namespace no more than the requests lost (a statement, `counted`), or
    /// conntrack's INVALID count (the packets were INVALID: a rule dropping them is likely).
    /// Nothing that fits: left as it was.
    static func named(_ d: Diagnosis, _ w: Window) -> Diagnosis {
        let named = w.deltas.filter { d.reason.contains(TopologyError.name($0.key)) }
        let pool = named.isEmpty ? w.deltas : named
        let limit = Int64(w.vanished + w.inFlight)
        var fits: (netns: String?, key: String, delta: Int64)?
        for (netns, deltas) in pool.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
            for key in openKeys {
                if let v = deltas[key], v > 0, v <= limit, v > (fits?.delta ?? 0) { fits = (netns, key, v) }
            }
        }
        guard let (netns, key, delta) = fits, let meaning = KernelCounters.meaning(of: key) else { return d }
        var out = d
        let counted = "counted: \(key) +\(delta) in \(TopologyError.name(netns)) while \(w.requests)"
        if meaning.kind == .drop {
            out.reason = Self.stated(out.reason) + "; \(counted): \(meaning.meaning)"
            // No fragmentation-needed reached the sender (that error has a rule of its own, first).
            if key == "Ip.FragFails" {
                out.reason += "; no fragmentation-needed came back to the sender: a PMTU black hole (ICMP dropped on the way back)"
            }
            out.evidence = .counted
        } else {
            out.reason += "; \(counted): \(meaning.meaning)"
        }
        return out
    }
}
