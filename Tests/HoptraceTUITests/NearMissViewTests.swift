import Testing
@testable import HoptraceCore
@testable import HoptraceTUI

/// Issue 18 in the live view: the near-missing rule on the journey's drop marker and in the
/// detail view, its differing field on a line of its own in red and bold.
@Suite struct NearMissViewTests {
    static let miss = NearMissReport(netns: "hthost", table: "ip nat", chain: "POSTROUTING",
                                     rule: "ip saddr 172.18.0.0/24 oifname \"eth0\" counter xt target \"MASQUERADE\"", handle: 5,
                                     field: "oifname", ruleValue: "eth0", packetValue: "enX0")

    func session() throws -> Session {
        let session = try Scenario.s1.session()
        let flow = try #require(session.correlator.allFlows.first)
        session.correlator.annotate(flow.id, with: Diagnosis(
            id: "no-masquerade", reason: "172.18.0.3 left hthost:enX0 untranslated",
            fix: "ip netns exec hthost iptables -t nat -R POSTROUTING 1 -s 172.18.0.0/24 -o enX0 -j MASQUERADE",
            evidence: .inferred, nearMiss: Self.miss))
        return session
    }

    @Test func theDropMarkerNamesTheRuleAndHighlightsTheField() throws {
        let screen = TUI.render(session: try session(), state: UIState(),
                                context: RenderContext(width: 140, height: 40, labKeys: true, filterExpression: "icmp"))
        let text = screen.text
        #expect(text.contains("near: POSTROUTING (ip nat, handle 5): ip saddr 172.18.0.0/24 oifname \"eth0\""), "\(text)")
        let y = try #require((0..<screen.height).first { screen.row($0).contains("oifname: the rule has eth0, the packet enX0") }, "\(text)")
        let x = screen.row(y).distance(from: screen.row(y).startIndex, to: screen.row(y).range(of: "oifname:")!.lowerBound)
        #expect(screen.cells[y * screen.width + x].style.color == .red && screen.cells[y * screen.width + x].style.bold)
    }

    @Test func theDetailViewShowsItToo() throws {
        let s = try session()
        let flow = try #require(s.correlator.allFlows.first)
        let lines = DetailView.lines(flow, width: 140, Glyphs.unicode).map(\.0)
        #expect(lines.contains { $0.hasPrefix("  near    POSTROUTING (ip nat, handle 5)") }, "\(lines)")
        #expect(lines.contains("          oifname: the rule has eth0, the packet enX0"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  cause   172.18.0.3 left hthost:enX0 untranslated") }, "\(lines)")
    }

    @Test func aFlowWithoutANearMissHasNoSuchLines() throws {
        let session = try Scenario.s1.session()
        let flow = try #require(session.correlator.allFlows.first)
        #expect(NearMissLines.lines(flow, label: "  near: ").isEmpty)
    }

    @Test func wWatchesWhereTheRouteLedOnlyWhenThereIsSuchAPlace() throws {
        let context = RenderContext(width: 120, height: 40)
        var state = UIState()
        let plain = try Scenario.s1.session()
        #expect(TUI.handle(.char("w"), state: &state, session: plain, context: context) == .ignored, "no route near miss: nothing to watch")
        let session = try Scenario.s1.session()
        let flow = try #require(session.correlator.allFlows.first)
        var d = Diagnosis(id: "route-near-miss", reason: "routed out enX2 (not watched) in hthost", evidence: .inferred)
        d.unwatched = CapturePoint(netns: "hthost", iface: "enX2")
        session.correlator.annotate(flow.id, with: d)
        #expect(TUI.handle(.char("w"), state: &state, session: session, context: context) == .action(.watch(CapturePoint(netns: "hthost", iface: "enX2"))))
        let text = TUI.render(session: session, state: state, context: context).text
        #expect(text.contains("w:    watch hthost:enX2 too"), "\(text)")
    }
}
