import Testing
import HoptraceCore
import HoptraceTUI

/// The scenarios' recordings as a user sees them, at 80×24 and 120×40.
@Suite struct ScreenSnapshotTests {
    static let sizes = [(80, 24), (120, 40)]

    func render(_ s: Scenario, width: Int, height: Int, state: UIState = UIState(), labKeys: Bool = true,
                unicode: Bool = true) throws -> ScreenBuffer {
        let session = try s.session()
        return TUI.render(session: session, state: state,
                          context: RenderContext(width: width, height: height, unicode: unicode, labKeys: labKeys,
                                                 filterExpression: "icmp or tcp port 80"))
    }

    @Test(arguments: [Scenario.s1, .s2, .s3, .s4, .s7])
    func scenarioScreens(_ s: Scenario) throws {
        for (w, h) in Self.sizes {
            Snapshot.assert(try render(s, width: w, height: h), named: "\(s.rawValue)-\(w)x\(h)")
        }
    }

    @Test func s2ShowsTheSNATBetweenDocker1AndEnX0AndReplied() throws {
        let text = try render(.s2, width: 120, height: 40).text
        #expect(text.contains("SNAT src→172.31.39.53"))
        #expect(text.contains("replied"))
        let lines = text.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.contains("hthost:docker1") && $0.contains("hthost:enX0") && $0.contains("┊") })
        let bar = try #require(header.firstIndex(of: "┊"))
        #expect(header[..<bar].contains("hthost:docker1") && header[bar...].contains("hthost:enX0"))
    }

    /// Explain mode's evidence on the drop marker: the kernel's rule, why and the fix, as the
    /// pipeline attaches them (Correlator.annotate with the Diagnoser's result).
    @Test func s3DropMarkerShowsTheKernelsRule() throws {
        let session = try Scenario.s3.session()
        let flow = try #require(session.correlator.allFlows.first)
        session.correlator.annotate(flow.id, with: Diagnosis(
            id: "forward-drop",
            reason: "dropped in hthost by ip filter FORWARD policy drop: no rule in FORWARD accepts it",
            rule: "ip filter FORWARD policy drop", fix: "ip netns exec hthost iptables -A FORWARD -i docker1 '!' -o docker1 -j ACCEPT",
            evidence: .traced))
        let screen = TUI.render(session: session, state: UIState(),
                                context: RenderContext(width: 120, height: 40, labKeys: true, filterExpression: "icmp or tcp port 80"))
        Snapshot.assert(screen, named: "s3-explained-120x40")
        let text = screen.text
        #expect(text.contains("✗ vanished after hthost:docker1, before hthost:enX0"))
        #expect(text.contains("rule: ip filter FORWARD policy drop"))
        #expect(text.contains("fix:  ip netns exec hthost iptables -A FORWARD -i docker1 '!' -o docker1 -j ACCEPT"))
    }

    @Test func s3ShowsVanishedAfterDocker1InRed() throws {
        let screen = try render(.s3, width: 80, height: 24)
        let hits = (0..<screen.height).compactMap { y -> (Int, Int)? in
            guard let r = screen.row(y).range(of: "vanished after hthost:docker1") else { return nil }
            return (y, screen.row(y).distance(from: screen.row(y).startIndex, to: r.lowerBound))
        }
        #expect(!hits.isEmpty)
        for (y, x) in hits {
            #expect(screen.cells[y * screen.width + x].style.color == .red)
        }
    }

    @Test func s7ShowsTheDNATBadge() throws {
        #expect(try render(.s7, width: 80, height: 24).text.contains("DNAT→172.18.0.3:80"))
    }

    @Test func s1ShowsTheUntranslatedPrivateSourceHint() throws {
        let text = try render(.s1, width: 120, height: 40).text
        #expect(text.contains("untranslated private source 172.18.0.3"))
        #expect(text.contains("MASQUERADE"))
    }

    @Test func helpOverlay() throws {
        var state = UIState()
        state.helpOpen = true
        Snapshot.assert(try render(.s2, width: 80, height: 24, state: state), named: "help-80x24")
    }

    @Test func tooSmall() throws {
        Snapshot.assert(try render(.s2, width: 60, height: 20), named: "too-small-60x20")
    }

    @Test func detailView() throws {
        var state = UIState()
        state.detailOpen = true
        Snapshot.assert(try render(.s2, width: 120, height: 40, state: state), named: "detail-s2-120x40")
    }

    @Test func filterPrompt() throws {
        var state = UIState()
        state.prompt = "vanished docker1"
        Snapshot.assert(try render(.s3, width: 80, height: 24, state: state), named: "prompt-s3-80x24")
    }

    @Test func asciiFallback() throws {
        Snapshot.assert(try render(.s2, width: 80, height: 24, unicode: false), named: "ascii-s2-80x24")
        let text = try render(.s2, width: 80, height: 24, unicode: false).text
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
    }

    @Test func followingTheSelectedFlow() throws {
        let session = try Scenario.s7.session()
        var state = UIState()
        let context = RenderContext(width: 120, height: 40, labKeys: false)
        #expect(TUI.handle(.char("f"), state: &state, session: session, context: context) == .handled)
        #expect(state.followFlowID == 1)
        Snapshot.assert(TUI.render(session: session, state: state, context: context), named: "follow-s7-120x40")
    }
}
