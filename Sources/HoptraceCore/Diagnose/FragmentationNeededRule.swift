/// A request too big for a link on its path, with Don't Fragment set: the router in front of
/// that link dropped it and answered fragmentation needed (IPv6: packet too big), which the
/// correlator joined to the flow. The kernel counts it in that router's `Ip.FragFails`. When
/// that answer is itself dropped on the way back, the sender never learns: a PMTU black hole.
public struct FragmentationNeededRule: DiagnosisRule {
    public let id = "fragmentation-needed"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let e = c.input.lastError else { return nil }
        let v6 = c.input.proto == IPProtocol.icmpv6
        guard v6 ? e.type == 2 : (e.type == 3 && e.code == 4) else { return nil }
        let router = c.namespace(owning: e.from)
        let at = router.map { " in \(TopologyError.name($0.name))" } ?? " at \(e.from)"
        return Diagnosis(
            id: id,
            reason: "the request was too big for the next link\(at) with Don't Fragment set: it was dropped and \(e.from) answered \(ICMPNames.errorName(type: e.type, code: e.code, v6: v6)); the sender must send smaller packets (its path MTU), or the link's MTU is lower than the rest of the path",
            evidence: .inferred)
    }
}
