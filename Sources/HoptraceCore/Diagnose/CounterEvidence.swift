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
        "conntrack-full": ["nf_conntrack.drop", "nf_conntrack.early_drop", "nf_conntrack.insert_failed"],
    ]

    /// What moved while the requests vanished: deltas per namespace over their window, and how many vanished.
    public struct Window: Sendable {
        public var deltas: [String?: [String: Int64]]
        public var vanished: Int
        /// Requests of the window still in flight: dropped maybe, and counted, but not judged yet.
        public var inFlight: Int
        public init(deltas: [String?: [String: Int64]], vanished: Int, inFlight: Int = 0) {
            self.deltas = deltas
            self.vanished = vanished
            self.inFlight = inFlight
        }

        /// "3 requests vanished", "1 request vanished and 1 was in flight".
        var requests: String {
            "\(vanished) request\(vanished == 1 ? "" : "s") vanished" + (inFlight > 0 ? " and \(inFlight) \(inFlight == 1 ? "was" : "were") in flight" : "")
        }
    }

    /// `d` with the counters' word added (only for inferred diagnoses this table covers, and
    /// only when some namespace was sampled through the window).
    public static func apply(_ d: Diagnosis, _ w: Window) -> Diagnosis {
        guard d.evidence == .inferred, let keys = confirming[d.id], !w.deltas.isEmpty else { return d }
        var best: (netns: String?, key: String, delta: Int64)?
        for (netns, deltas) in w.deltas.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
            for key in keys {
                if let v = deltas[key], v > 0, v > (best?.delta ?? 0) { best = (netns, key, v) }
            }
        }
        var out = d
        let requests = w.requests
        guard let (netns, key, delta) = best else {
            let names = w.deltas.keys.map { TopologyError.name($0) }.sorted().joined(separator: ", ")
            out.reason += "; not confirmed by the kernel's counters (\(keys.joined(separator: ", ")) +0 in \(names) while \(requests))"
            return out
        }
        let counted = "\(key) +\(delta) in \(TopologyError.name(netns)) while \(requests)"
        if delta > Int64(w.vanished + w.inFlight) {
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
}
