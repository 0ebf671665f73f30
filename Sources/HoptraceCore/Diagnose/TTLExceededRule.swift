/// A request whose TTL (IPv6: hop limit) ran out on the way: the router where it hit 0 dropped
/// it and answered time-exceeded, which the correlator joined to the flow. The kernel counts the
/// drop in that router's `Ip.InHdrErrors` (every one) and `Icmp.OutTimeExcds` (rate-limited).
public struct TTLExceededRule: DiagnosisRule {
    public let id = "ttl-exceeded"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let e = c.input.lastError else { return nil }
        let v6 = c.input.proto == IPProtocol.icmpv6
        guard e.type == (v6 ? 3 : 11), e.code == 0 else { return nil }
        let router = c.namespace(owning: e.from)
        let at = router.map { " in \(TopologyError.name($0.name))" } ?? " at \(e.from)"
        let sent = c.input.requestHops.first.map { " (sent with TTL \($0.ttl)" + ($0.point.netns.map { " from \($0)" } ?? "") + ")" } ?? ""
        return Diagnosis(
            id: id,
            reason: "the request's TTL ran out\(at), which dropped it and answered \(ICMPNames.errorName(type: e.type, code: e.code, v6: v6))\(sent): the sender's TTL is too low for the path, or the path loops",
            evidence: .inferred)
    }
}
