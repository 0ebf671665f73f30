import Testing
@testable import HoptraceCore

/// The kernel's drop reasons (issue 17): the tracepoint's format as this kernel prints it, its
/// trace lines, the bounded history of the last drops, and how a verdict shows them beside the
/// counters: as corroboration, never as the flow's own count.
@Suite struct DropReasonTests {
    // MARK: - Format

    @Test func theFormatOfLinux618NamesItsReasonsByNumber() throws {
        let format = try #require(DropReasonFormat(format: try KernelFixtures.text("kfree_skb-format-6.18.txt")))
        // Read off the fixture: { 2, "NOT_SPECIFIED" }, { 16, "IP_RPFILTER" }, { 128, "MAX" }.
        #expect(format.notSpecified == 2)
        #expect(format.names[16] == "IP_RPFILTER")
        #expect(format.names[12] == "NETFILTER_DROP")
        #expect(format.names[128] == "MAX")
        #expect(format.filter == "reason != 2 && (protocol == 2048 || protocol == 34525)")
    }

    @Test func aKernelWithoutTheReasonFieldHasNoFormat() {
        // Linux 5.15's kfree_skb: skbaddr, location, protocol; no reason.
        let old = """
            name: kfree_skb
            format:
            \tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;
            \tfield:void * location;\toffset:16;\tsize:8;\tsigned:0;
            \tfield:unsigned short protocol;\toffset:24;\tsize:2;\tsigned:0;

            print fmt: "skbaddr=%p protocol=%u location=%p", REC->skbaddr, REC->protocol, REC->location
            """
        #expect(DropReasonFormat(format: old) == nil)
        #expect(DropReasonFormat(format: "") == nil)
    }

    // MARK: - Trace lines

    @Test func aTraceLineGivesTimeReasonAndFunction() {
        let line = "          <idle>-0       [001] ..s1.  5123.456789: kfree_skb: skbaddr=000000001 rx_sk=0000000000000000 protocol=2048 location=nf_hook_slow+0x9c/0xd0 reason: NETFILTER_DROP"
        let d = KernelDrop(traceLine: line)
        #expect(d?.reason == "NETFILTER_DROP")
        #expect(d?.isNetfilter == true)
        #expect(d?.protocolNumber == 2048)
        #expect(d?.location == "nf_hook_slow")
        #expect(d?.timestamp == 5123.456789)
    }

    @Test func aTaskNameWithColonsAndSpacesDoesNotShiftTheTimestamp() {
        let line = "   kworker/u4:1 x-77      [000] b..1.    12.500000: kfree_skb: skbaddr=1 rx_sk=0 protocol=2048 location=ip_rcv_finish_core+0x1c0/0x420 reason: IP_RPFILTER"
        let d = KernelDrop(traceLine: line)
        #expect(d?.timestamp == 12.5)
        #expect(d?.reason == "IP_RPFILTER")
        #expect(d?.location == "ip_rcv_finish_core")
    }

    @Test func anAddressForALocationOrAStrangeReasonIsNotTakenAsAName() {
        let address = "p-1 [000] .... 1.0: kfree_skb: skbaddr=1 protocol=2048 location=0xffffffff81a0b0c0 reason: NO_SOCKET"
        #expect(KernelDrop(traceLine: address)?.location == nil)
        #expect(KernelDrop(traceLine: address)?.reason == "NO_SOCKET")
        // Only the kernel's reason names (upper case, digits, '_') pass: nothing else reaches a terminal.
        #expect(KernelDrop(traceLine: "p-1 [000] .... 1.0: kfree_skb: skbaddr=1 reason: \u{1b}[2J") == nil)
        #expect(KernelDrop(traceLine: "ping-1 [000] 1.0: consume_skb: skbaddr=1") == nil)
        #expect(KernelDrop(traceLine: "") == nil)
    }

    // MARK: - History

    static func at(_ ms: Int64) -> EventTime { EventTime(micros: 1_000_000_000 + ms * 1000) }

    @Test func aWindowCountsByReasonAndFunctionMostFirst() {
        var h = DropReasonHistory()
        for ms: Int64 in [10, 20, 30] { h.append(.init(time: Self.at(ms), reason: "IP_RPFILTER", location: "ip_rcv_finish_core")) }
        h.append(.init(time: Self.at(25), reason: "NO_SOCKET", location: "udp_queue_rcv_one_skb"))
        h.append(.init(time: Self.at(500), reason: "NO_SOCKET", location: "udp_queue_rcv_one_skb"))
        let w = h.window(from: Self.at(0), to: Self.at(100))
        #expect(w.counts == [DropReasonCount(reason: "IP_RPFILTER", location: "ip_rcv_finish_core", count: 3),
                             DropReasonCount(reason: "NO_SOCKET", location: "udp_queue_rcv_one_skb", count: 1)])
        #expect(!w.atLeast)
        #expect(w.text() == "IP_RPFILTER ×3 in ip_rcv_finish_core, NO_SOCKET ×1 in udp_queue_rcv_one_skb")
        #expect(h.window(from: Self.at(200), to: Self.at(300)).text() == "none")
    }

    @Test func theHistoryIsBoundedAndSaysWhenAWindowLostSome() {
        var h = DropReasonHistory()
        let n = DropReasonHistory.capacity + 10
        for i in 0..<n { h.append(.init(time: Self.at(Int64(i)), reason: "NETFILTER_DROP", location: nil)) }
        let all = h.window(from: Self.at(0), to: Self.at(Int64(n)))
        #expect(all.counts == [DropReasonCount(reason: "NETFILTER_DROP", location: nil, count: DropReasonHistory.capacity)])
        #expect(all.atLeast && all.text() == "NETFILTER_DROP ×≥\(DropReasonHistory.capacity)")
        // A window after what was overwritten is whole.
        #expect(!h.window(from: Self.at(100), to: Self.at(Int64(n))).atLeast)
    }

    @Test func theReasonsTheCauseGivesLead() {
        var h = DropReasonHistory()
        for _ in 0..<5 { h.append(.init(time: Self.at(1), reason: "IPV6DISABLED", location: "ip6_rcv_core")) }
        for _ in 0..<3 { h.append(.init(time: Self.at(1), reason: "IP_INADDRERRORS", location: "ip_error")) }
        #expect(h.window(from: Self.at(0), to: Self.at(2)).text(first: ["IP_INADDRERRORS"])
            == "IP_INADDRERRORS ×3 in ip_error, IPV6DISABLED ×5 in ip6_rcv_core")
    }

    @Test func dropsTheKernelLostMakeEarlierWindowsLowerBounds() {
        var h = DropReasonHistory()
        h.append(.init(time: Self.at(10), reason: "NO_SOCKET", location: nil))
        h.lost(before: Self.at(50))
        #expect(h.window(from: Self.at(0), to: Self.at(100)).text() == "NO_SOCKET ×≥1")
        #expect(!h.window(from: Self.at(60), to: Self.at(100)).atLeast)
    }

    @Test func moreThanThreeReasonsAreSummed() {
        var h = DropReasonHistory()
        for (i, r) in ["A", "B", "C", "D", "E"].enumerated() {
            for _ in 0...i { h.append(.init(time: Self.at(1), reason: r, location: nil)) }
        }
        #expect(h.window(from: Self.at(0), to: Self.at(2)).text() == "E ×5, D ×4, C ×3 and 2 other reasons")
    }

    // MARK: - In a verdict

    @Test func reasonsFollowTheCountAsCorroborationOnly() {
        let reasons = DropReasonWindow(counts: [DropReasonCount(reason: "IP_RPFILTER", location: "ip_rcv_finish_core", count: 3)])
        let w = CounterEvidence.Window(deltas: ["hthost": ["TcpExt.IPReversePathFilter": 3]], vanished: 3, reasons: reasons)
        let d = CounterEvidence.apply(CounterEvidenceTests.rpFilter, w)
        #expect(d.evidence == .counted)
        #expect(d.reason == CounterEvidenceTests.rpFilterStated
            + "; counted: TcpExt.IPReversePathFilter +3 in hthost while 3 requests vanished"
            + "; the kernel's drop reasons meanwhile (machine-wide, not tied to this flow): IP_RPFILTER ×3 in ip_rcv_finish_core")
    }

    @Test func reasonsAloneNeverMakeAStatement() {
        // No namespace sampled: the reasons are shown, the diagnosis stays a deduction.
        let reasons = DropReasonWindow(counts: [DropReasonCount(reason: "IP_RPFILTER", location: nil, count: 3)])
        let d = CounterEvidence.apply(CounterEvidenceTests.rpFilter, CounterEvidence.Window(deltas: [:], vanished: 3, reasons: reasons))
        #expect(d.evidence == .inferred)
        #expect(d.reason == CounterEvidenceTests.rpFilter.reason
            + "; the kernel's drop reasons meanwhile (machine-wide, not tied to this flow): IP_RPFILTER ×3")
    }

    @Test func aTracedWindowWithoutDropsSaysSo() {
        let w = CounterEvidence.Window(deltas: ["hthost": [:]], vanished: 1, reasons: DropReasonWindow(counts: []))
        let d = CounterEvidence.apply(CounterEvidenceTests.noRoute, w)
        #expect(d.reason.hasSuffix("; the kernel traced no drop with a stated reason meanwhile"))
        #expect(d.evidence == .inferred)
    }

    @Test func aDiagnosisTheCountersDoNotCoverGetsNoReasons() {
        let traced = Diagnosis(id: "forward-drop", reason: "dropped by ip filter FORWARD policy drop", evidence: .traced)
        let reasons = DropReasonWindow(counts: [DropReasonCount(reason: "NETFILTER_DROP", location: nil, count: 1)])
        #expect(CounterEvidence.apply(traced, CounterEvidence.Window(deltas: [:], vanished: 1, reasons: reasons)) == traced)
    }
}
