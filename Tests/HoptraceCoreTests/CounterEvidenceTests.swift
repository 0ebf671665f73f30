import Testing
@testable import HoptraceCore

/// An inferred diagnosis and the kernel's count (issue 17): confirmed (evidence: counted, "likely"
/// gone), ambiguous (more dropped than this flow lost), not confirmed (nothing moved), and the
/// diagnoses it must leave alone. The expected sentences are written out in full.
@Suite struct CounterEvidenceTests {
    static let ipForward = Diagnosis(
        id: "ip-forward", reason: "hthost has net.ipv4.ip_forward=0: it does not forward from docker1 to enX0",
        fix: "ip netns exec hthost sysctl -w net.ipv4.ip_forward=1", evidence: .inferred)
    static let rpFilter = Diagnosis(
        id: "rp-filter",
        reason: "likely dropped by reverse-path filtering in hthost: rp_filter=1 on enX0 and 172.31.45.174 is routed back via docker1, not enX0",
        fix: "ip netns exec hthost sysctl -w net.ipv4.conf.all.rp_filter=2",
        alternatives: ["ip netns exec hthost sysctl -w net.ipv4.conf.enX0.rp_filter=2"], evidence: .inferred)
    static let rpFilterStated =
        "dropped by reverse-path filtering in hthost: rp_filter=1 on enX0 and 172.31.45.174 is routed back via docker1, not enX0"
    static let noRoute = Diagnosis(
        id: "no-route",
        reason: "no route in hthost to 10.9.9.9 (the sender gets \"Network is unreachable\"; nothing reaches a wire)",
        evidence: .inferred)

    /// `d` with only its reason and evidence changed: id, rule, fix and alternatives carry over.
    static func changed(_ d: Diagnosis, reason: String, evidence: Evidence) -> Diagnosis {
        var out = d
        out.reason = reason
        out.evidence = evidence
        return out
    }

    // MARK: - Confirmed

    @Test func ipForwardIsCountedWhenInAddrErrorsMovedAsManyAsVanished() {
        let w = CounterEvidence.Window(
            deltas: ["hthost": ["Ip.InAddrErrors": 3, "Ip.InReceives": 40]], vanished: 3)
        let d = CounterEvidence.apply(Self.ipForward, w)
        #expect(d == Self.changed(
            Self.ipForward,
            reason: "hthost has net.ipv4.ip_forward=0: it does not forward from docker1 to enX0; counted: Ip.InAddrErrors +3 in hthost while 3 requests vanished",
            evidence: .counted))
    }

    @Test func countedDropsTheLeadingLikely() {
        let w = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 1]], vanished: 1)
        let d = CounterEvidence.apply(Self.rpFilter, w)
        #expect(d == Self.changed(
            Self.rpFilter,
            reason: Self.rpFilterStated + "; counted: TcpExt.IPReversePathFilter +1 in hthost while 1 request vanished",
            evidence: .counted))
        #expect(d.alternatives == ["ip netns exec hthost sysctl -w net.ipv4.conf.enX0.rp_filter=2"])
    }

    @Test func onlyALeadingLikelyGoes() {
        let d = Diagnosis(id: "rp-filter", reason: "hthost likely dropped it by reverse-path filtering", evidence: .inferred)
        let out = CounterEvidence.apply(d, .init(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 2]], vanished: 2))
        #expect(out.reason == "hthost likely dropped it by reverse-path filtering; counted: TcpExt.IPReversePathFilter +2 in hthost while 2 requests vanished")
        #expect(out.evidence == .counted)
    }

    @Test func fewerCountedThanVanishedStillConfirms() {
        // Fewer than vanished is not other traffic: it does not make the count ambiguous.
        let out = CounterEvidence.apply(Self.ipForward, .init(deltas: ["hthost": ["Ip.InAddrErrors": 1]], vanished: 3))
        #expect(out.reason.hasSuffix("; counted: Ip.InAddrErrors +1 in hthost while 3 requests vanished"))
        #expect(out.evidence == .counted)
    }

    @Test func requestsInFlightAreCountedAndSaid() {
        let w = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 3]], vanished: 1, inFlight: 2)
        let d = CounterEvidence.apply(Self.rpFilter, w)
        #expect(d == Self.changed(
            Self.rpFilter,
            reason: Self.rpFilterStated + "; counted: TcpExt.IPReversePathFilter +3 in hthost while 1 request vanished and 2 were in flight",
            evidence: .counted))
    }

    @Test func oneInFlightIsSingular() {
        let w = CounterEvidence.Window(deltas: ["hthost": ["Ip.InAddrErrors": 2]], vanished: 1, inFlight: 1)
        let d = CounterEvidence.apply(Self.ipForward, w)
        #expect(d.reason.hasSuffix("; counted: Ip.InAddrErrors +2 in hthost while 1 request vanished and 1 was in flight"))
        #expect(d.evidence == .counted)
    }

    @Test func requestsAreCountedInWords() {
        #expect(CounterEvidence.Window(deltas: [:], vanished: 3).requests == "3 requests vanished")
        #expect(CounterEvidence.Window(deltas: [:], vanished: 1).requests == "1 request vanished")
        #expect(CounterEvidence.Window(deltas: [:], vanished: 0, inFlight: 2).requests == "2 requests were in flight")
        #expect(CounterEvidence.Window(deltas: [:], vanished: 2, inFlight: 1).requests == "2 requests vanished and 1 was in flight")
    }

    // MARK: - Ambiguous

    @Test func moreThanVanishedAndInFlightIsAmbiguous() {
        let w = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 4]], vanished: 1, inFlight: 2)
        let d = CounterEvidence.apply(Self.rpFilter, w)
        #expect(d == Self.changed(
            Self.rpFilter,
            reason: "likely dropped by reverse-path filtering in hthost: rp_filter=1 on enX0 and 172.31.45.174 is routed back via docker1, not enX0; counted: TcpExt.IPReversePathFilter +4 in hthost while 1 request vanished and 2 were in flight, more than this flow lost, so other traffic was dropped there too: the count does not pin it on this flow",
            evidence: .inferred))
    }

    @Test func oneMoreThanVanishedIsAmbiguous() {
        let d = CounterEvidence.apply(Self.ipForward, .init(deltas: ["hthost": ["Ip.InAddrErrors": 4]], vanished: 3))
        #expect(d.reason == "hthost has net.ipv4.ip_forward=0: it does not forward from docker1 to enX0; counted: Ip.InAddrErrors +4 in hthost while 3 requests vanished, more than this flow lost, so other traffic was dropped there too: the count does not pin it on this flow")
        #expect(d.evidence == .inferred)
    }

    // MARK: - Not confirmed

    @Test func nothingMovedIsNotConfirmed() {
        // Other counters moved; the one that counts this drop did not.
        let w = CounterEvidence.Window(deltas: ["hthost": ["Ip.InReceives": 12, "Ip.InAddrErrors": 1]], vanished: 1)
        let d = CounterEvidence.apply(Self.rpFilter, w)
        #expect(d == Self.changed(
            Self.rpFilter,
            reason: "likely dropped by reverse-path filtering in hthost: rp_filter=1 on enX0 and 172.31.45.174 is routed back via docker1, not enX0; not confirmed by the kernel's counters (TcpExt.IPReversePathFilter did not move in hthost while 1 request vanished)",
            evidence: .inferred))
    }

    @Test func aNamespaceSampledWithNothingMovedIsNotConfirmed() {
        let d = CounterEvidence.apply(Self.ipForward, .init(deltas: ["hthost": [:]], vanished: 2, inFlight: 1))
        #expect(d.reason == "hthost has net.ipv4.ip_forward=0: it does not forward from docker1 to enX0; not confirmed by the kernel's counters (Ip.InAddrErrors did not move in hthost while 2 requests vanished and 1 was in flight)")
        #expect(d.evidence == .inferred)
    }

    @Test func notConfirmedListsEveryCounterAndEveryNamespaceSortedByName() {
        // nil is the namespace hoptrace runs in, named as the topology's messages name it. A
        // reason that names none of the sampled namespaces looks at all of them.
        let unnamed = Diagnosis(id: "no-route", reason: "no route to 10.9.9.9", evidence: .inferred)
        let w = CounterEvidence.Window(deltas: [nil: [:], "htkR": ["Ip.InReceives": 5], "hthost": [:]], vanished: 2)
        let d = CounterEvidence.apply(unnamed, w)
        #expect(d.reason == "no route to 10.9.9.9; not confirmed by the kernel's counters (IpExt.InNoRoutes or Ip.OutNoRoutes did not move in hthost, htkR, the current namespace while 2 requests vanished)")
        #expect(d.evidence == .inferred)
        // A reason that names hthost is judged by hthost's counters alone.
        let named = CounterEvidence.apply(Self.noRoute, w)
        #expect(named.reason.hasSuffix("(IpExt.InNoRoutes or Ip.OutNoRoutes did not move in hthost while 2 requests vanished)"))
    }

    @Test func theCurrentNamespaceAloneIsNamed() {
        let d = CounterEvidence.apply(Self.ipForward, .init(deltas: [nil: [:]], vanished: 1))
        #expect(d.reason.hasSuffix("; not confirmed by the kernel's counters (Ip.InAddrErrors did not move in the current namespace while 1 request vanished)"))
    }

    @Test func aCounterThatWentDownConfirmsNothing() {
        let d = CounterEvidence.apply(Self.ipForward, .init(deltas: ["hthost": ["Ip.InAddrErrors": -5]], vanished: 1))
        #expect(d.evidence == .inferred)
        #expect(d.reason.contains("; not confirmed by the kernel's counters ("))
        #expect(!d.reason.contains("counted:"))
    }

    // MARK: - Which namespace and counter are cited

    @Test func theNamespaceTheDiagnosisNamesIsCited() {
        // The rule said hthost: htkR's larger count is another namespace's, not this cause's.
        let w = CounterEvidence.Window(
            deltas: ["hthost": ["TcpExt.IPReversePathFilter": 1], "htkR": ["TcpExt.IPReversePathFilter": 2], "htns1": [:]],
            vanished: 2)
        let d = CounterEvidence.apply(Self.rpFilter, w)
        #expect(d.reason == Self.rpFilterStated + "; counted: TcpExt.IPReversePathFilter +1 in hthost while 2 requests vanished")
        #expect(d.evidence == .counted)
    }

    @Test func theLargestCountTheLossesAccountForIsCited() {
        // A reason naming no namespace: htkR's +50 is beyond one lost request, hthost's +1 fits it.
        let unnamed = Diagnosis(id: "rp-filter", reason: "likely dropped by reverse-path filtering", evidence: .inferred)
        let w = CounterEvidence.Window(
            deltas: ["hthost": ["TcpExt.IPReversePathFilter": 1], "htkR": ["TcpExt.IPReversePathFilter": 50]], vanished: 1)
        let d = CounterEvidence.apply(unnamed, w)
        #expect(d.reason == "dropped by reverse-path filtering; counted: TcpExt.IPReversePathFilter +1 in hthost while 1 request vanished")
        #expect(d.evidence == .counted)
        // Nothing fits: the smallest count beyond the losses, said as ambiguous.
        let over = CounterEvidence.apply(unnamed, .init(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 9], "htkR": ["TcpExt.IPReversePathFilter": 50]], vanished: 1))
        #expect(over.reason.hasSuffix("; counted: TcpExt.IPReversePathFilter +9 in hthost while 1 request vanished, more than this flow lost, so other traffic was dropped there too: the count does not pin it on this flow"))
        #expect(over.evidence == .inferred)
    }

    @Test func theCurrentNamespaceIsCitedByItsName() {
        let unnamed = Diagnosis(id: "ip-forward", reason: "ip_forward is 0", evidence: .inferred)
        let w = CounterEvidence.Window(
            deltas: [nil: ["Ip.InAddrErrors": 3], "hthost": ["Ip.InAddrErrors": 1]], vanished: 3)
        let d = CounterEvidence.apply(unnamed, w)
        #expect(d.reason.hasSuffix("; counted: Ip.InAddrErrors +3 in the current namespace while 3 requests vanished"))
        #expect(d.evidence == .counted)
        let other = CounterEvidence.apply(
            unnamed, .init(deltas: [nil: ["Ip.InAddrErrors": 1], "hthost": ["Ip.InAddrErrors": 3]], vanished: 3))
        #expect(other.reason.hasSuffix("; counted: Ip.InAddrErrors +3 in hthost while 3 requests vanished"))
    }

    @Test func aTieIsResolvedTheSameWayEveryTime() {
        // Dictionaries iterate in no fixed order; the citation must not depend on it.
        var seen: Set<String> = []
        for _ in 0..<20 {
            var deltas: [String?: [String: Int64]] = [:]
            for ns in ["htkR", nil, "hthost", "htns1"].shuffled() { deltas[ns] = ["Ip.InAddrErrors": 2] }
            seen.insert(CounterEvidence.apply(Self.ipForward, .init(deltas: deltas, vanished: 2)).reason)
        }
        #expect(seen.count == 1)
    }

    @Test func theCounterThatMovedMostOfTheRuleIsCited() {
        let w = CounterEvidence.Window(deltas: ["hthost": ["IpExt.InNoRoutes": 1, "Ip.OutNoRoutes": 2]], vanished: 2)
        let d = CounterEvidence.apply(Self.noRoute, w)
        #expect(d.reason == "no route in hthost to 10.9.9.9 (the sender gets \"Network is unreachable\"; nothing reaches a wire); counted: Ip.OutNoRoutes +2 in hthost while 2 requests vanished")
        #expect(d.evidence == .counted)
    }

    @Test func conntrackFullIsCountedByConntracksDrop() {
        let d = Diagnosis(
            id: "conntrack-full",
            reason: "likely dropped because hthost's conntrack table is full (65536 of 65536 entries): new connections are dropped, and this flow never got an entry",
            evidence: .inferred)
        let out = CounterEvidence.apply(d, .init(deltas: ["hthost": ["nf_conntrack.drop": 1, "nf_conntrack.invalid": 9]], vanished: 1))
        #expect(out.reason == "dropped because hthost's conntrack table is full (65536 of 65536 entries): new connections are dropped, and this flow never got an entry; counted: nf_conntrack.drop +1 in hthost while 1 request vanished")
        #expect(out.evidence == .counted)
    }

    @Test func everyConfirmingCounterIsOneTheHistoryKeeps() {
        for (id, keys) in CounterEvidence.confirming {
            #expect(!keys.isEmpty, "\(id) names no counter")
            for key in keys {
                #expect(CounterHistory.keys.contains(key), "\(id): \(key) is not kept by CounterHistory")
            }
        }
    }

    // MARK: - Left alone

    @Test func aTracedDiagnosisIsLeftAlone() {
        let d = Diagnosis(
            id: "rp-filter", reason: "dropped in hthost by ip filter FORWARD policy drop", rule: "ip filter FORWARD policy drop",
            evidence: .traced)
        let w = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 1]], vanished: 1)
        #expect(CounterEvidence.apply(d, w) == d)
        #expect(CounterEvidence.apply(d, .init(deltas: ["hthost": [:]], vanished: 1)) == d)
    }

    @Test(arguments: ["forward-drop", "reject-route", "icmp-error", "path-problem", "no-masquerade"])
    func anIdOutsideTheTableIsLeftAlone(id: String) {
        let d = Diagnosis(id: id, reason: "likely dropped in hthost", evidence: .inferred)
        let moved = CounterEvidence.Window(
            deltas: ["hthost": ["Ip.InAddrErrors": 1, "TcpExt.IPReversePathFilter": 1, "IpExt.InNoRoutes": 1]], vanished: 1)
        #expect(CounterEvidence.apply(d, moved) == d)
        #expect(CounterEvidence.apply(d, .init(deltas: ["hthost": [:]], vanished: 1)) == d)
    }

    @Test func noNamespaceSampledLeavesItAlone() {
        let w = CounterEvidence.Window(deltas: [:], vanished: 3, inFlight: 1)
        #expect(CounterEvidence.apply(Self.ipForward, w) == Self.ipForward)
        #expect(CounterEvidence.apply(Self.rpFilter, w) == Self.rpFilter)
    }

    @Test func applyingTwiceSaysItOnce() {
        let confirmed = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 1]], vanished: 1)
        let once = CounterEvidence.apply(Self.rpFilter, confirmed)
        #expect(once.evidence == .counted)
        #expect(CounterEvidence.apply(once, confirmed) == once, "a counted diagnosis is not inferred any more")
    }

    // MARK: - From the history

    @Test func aWindowFromTheHistoryConfirmsTheDiagnosis() throws {
        var h = CounterHistory()
        let t0 = EventTime(micros: 1_000_000_000_000)
        h.record(KernelCounters(values: ["Ip.InAddrErrors": 6, "Ip.InReceives": 192, "Ip.InDelivers": 3]), netns: "hthost", at: t0)
        h.record(KernelCounters(values: ["Ip.InAddrErrors": 6, "Ip.InReceives": 193]), netns: "hthost", at: t0.adding(micros: 100_000))
        h.record(KernelCounters(values: ["Ip.InAddrErrors": 9, "Ip.InReceives": 196]), netns: "hthost", at: t0.adding(micros: 3_100_000))
        let deltas = try #require(h.delta(in: "hthost", from: t0.adding(micros: 50_000)))
        #expect(deltas == ["Ip.InAddrErrors": 3, "Ip.InReceives": 4])
        let d = CounterEvidence.apply(Self.ipForward, .init(deltas: ["hthost": deltas], vanished: 3))
        #expect(d.reason.hasSuffix("; counted: Ip.InAddrErrors +3 in hthost while 3 requests vanished"))
        #expect(d.evidence == .counted)
    }

    // MARK: - A diagnosis that names no cause

    static let forwardVanished = Diagnosis(
        id: "forward-vanished",
        reason: "likely dropped by netfilter in hthost while forwarding from docker1 to enX0 (seen on docker1, never on enX0); no trace of it: run with explain to get the kernel's verdict",
        evidence: .inferred)

    @Test func aDropCounterThatFitsNamesTheCause() {
        let d = CounterEvidence.apply(Self.forwardVanished, .init(deltas: ["hthost": ["Ip.InHdrErrors": 2, "Ip.InReceives": 9]], vanished: 2))
        #expect(d.evidence == .counted)
        #expect(d.reason == "dropped by netfilter in hthost while forwarding from docker1 to enX0 (seen on docker1, never on enX0); no trace of it: run with explain to get the kernel's verdict; counted: Ip.InHdrErrors +2 in hthost while 2 requests vanished: dropped: bad IPv4 header, or a forwarded packet's TTL ran out here (one per packet, ICMP sent or not)")
    }

    @Test func conntracksInvalidCountIsCitedButStaysInferred() {
        let d = CounterEvidence.apply(Self.forwardVanished, .init(deltas: ["hthost": ["nf_conntrack.invalid": 3]], vanished: 3))
        #expect(d.evidence == .inferred)
        #expect(d.reason.hasPrefix("likely dropped by netfilter in hthost"))
        #expect(d.reason.hasSuffix("; counted: nf_conntrack.invalid +3 in hthost while 3 requests vanished: conntrack could not track the packet (bad flags, out of window, nothing to pick up): INVALID, dropped only by a rule that drops INVALID"))
    }

    @Test func nothingThatFitsLeavesAnOpenDiagnosisAlone() {
        #expect(CounterEvidence.apply(Self.forwardVanished, .init(deltas: ["hthost": ["Ip.InHdrErrors": 9]], vanished: 2)) == Self.forwardVanished)
        #expect(CounterEvidence.apply(Self.forwardVanished, .init(deltas: ["hthost": [:]], vanished: 2)) == Self.forwardVanished)
    }

    @Test func requestsAnsweredWithAnErrorAreSaidSo() {
        var w = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 2]], vanished: 2)
        w.lost = "got an ICMP error"
        #expect(CounterEvidence.apply(Self.rpFilter, w).reason.hasSuffix("; counted: TcpExt.IPReversePathFilter +2 in hthost while 2 requests got an ICMP error"))
    }
}
