import Testing
import HoptraceCore
@testable import HoptraceTUI

/// A session of `n` ping flows from 10.0.0.1..n to 192.0.2.1 (ids 1...n), flow k with k packets.
func pingSession(_ n: Int, points: [CapturePoint] = [CapturePoint(netns: "a", iface: "eth0")]) -> Session {
    let session = Session(points: points, correlator: Correlator(paths: UnknownPaths()))
    for k in 1...n {
        for seq in 1...k {
            let p = DecodedPacket(direction: .outbound, etherType: 0x0800, src: .v4(IPv4Address("10.0.0.\(k)")!),
                                  dst: .v4(IPv4Address("192.0.2.1")!), ipID: UInt16(k * 100 + seq), ttl: 64, length: 84,
                                  transport: .icmp(type: 8, code: 0, id: UInt16(k), seq: UInt16(seq)))
            _ = session.packet(p, at: points[0], time: EventTime(seconds: 1000 + k, micros: seq))
        }
    }
    return session
}

@Suite struct KeyHandlingTests {
    let context = RenderContext(width: 80, height: 24)

    func press(_ keys: [KeyInput], _ state: inout UIState, _ session: Session, context: RenderContext? = nil) -> [KeyResult] {
        keys.map { TUI.handle($0, state: &state, session: session, context: context ?? self.context) }
    }

    @Test func arrowsAndVimKeysMoveTheSelection() {
        let session = pingSession(6)
        var state = UIState()
        #expect(TUI.selectedFlow(session: session, state: state)?.id == 6)  // newest first
        _ = press([.down, .char("j")], &state, session)
        #expect(state.selectedFlowID == 4)
        _ = press([.up], &state, session)
        #expect(state.selectedFlowID == 5)
        _ = press([.end], &state, session)
        #expect(state.selectedFlowID == 1)
        #expect(state.flowsTop == 2)  // 4 rows visible at 80×24: the last row stays in view
        _ = press([.home], &state, session)
        #expect(state.selectedFlowID == 6)
        #expect(state.flowsTop == 0)
        _ = press([.pageDown], &state, session)
        #expect(state.selectedFlowID == 3)
        _ = press([.char("k"), .char("k"), .char("k"), .char("k")], &state, session)
        #expect(state.selectedFlowID == 6)
    }

    @Test func theSelectionFollowsTheFlowAcrossSorts() {
        let session = pingSession(6)
        var state = UIState()
        _ = press([.down, .down], &state, session)
        #expect(state.selectedFlowID == 4)
        for _ in UIState.SortOrder.allCases {
            _ = press([.char("s")], &state, session)
            #expect(state.selectedFlowID == 4)
            #expect(TUI.selectedFlow(session: session, state: state)?.id == 4)
            let screen = TUI.render(session: session, state: state, context: context)
            let row = (0..<screen.height).first { screen.row($0).contains("10.0.0.4 ") }
            #expect(row.map { screen.cells[$0 * screen.width + 2].style.reverse } == true)
        }
        #expect(state.sort == .newest)
        _ = press([.char("s"), .char("s"), .char("s"), .char("s")], &state, session)
        #expect(state.sort == .packets)
        #expect(FlowList.rows(session.correlator.allFlows, filter: "", sort: .packets).map(\.id) == [6, 5, 4, 3, 2, 1])
    }

    @Test func tabCyclesThePanes() {
        let session = pingSession(1)
        var state = UIState()
        var seen: [UIState.Pane] = []
        for _ in 0..<4 {
            _ = press([.tab], &state, session)
            seen.append(state.focus)
        }
        #expect(seen == [.journey, .conntrack, .packets, .flows])
    }

    @Test func theFilterPromptTypesAppliesAndCancels() {
        let session = pingSession(5)
        var state = UIState()
        _ = press([.char("/"), .char("1"), .char("0"), .char("."), .char("0"), .char("."), .char("0"), .char("."), .char("3"), .char("x")], &state, session)
        #expect(state.prompt == "10.0.0.3x")
        #expect(state.filter.isEmpty)
        let screen = TUI.render(session: session, state: state, context: context)
        #expect(screen.row(screen.height - 1).hasPrefix("filter flows: /10.0.0.3x"))
        _ = press([.backspace, .enter], &state, session)
        #expect(state.prompt == nil)
        #expect(state.filter == "10.0.0.3")
        #expect(TUI.render(session: session, state: state, context: context).text.contains("Flows 1/5"))
        _ = press([.char("/"), .char("!"), .escape], &state, session)
        #expect(state.prompt == nil)
        #expect(state.filter == "10.0.0.3")
        // Keys typed into the prompt are text, not commands.
        #expect(press([.char("/"), .char("q")], &state, session) == [.handled, .handled])
        _ = press([.enter], &state, session)
        #expect(FlowList.rows(session.correlator.allFlows, filter: "icmp !10.0.0.1", sort: .newest).count == 4)
    }

    @Test func pauseFreezesThePanesWhileTheHeaderCountersMove() {
        let session = pingSession(2)
        var state = UIState()
        _ = press([.char("p")], &state, session)
        #expect(state.paused)
        let before = TUI.render(session: session, state: state, context: context)
        let p = DecodedPacket(direction: .outbound, etherType: 0x0800, src: .v4(IPv4Address("10.9.9.9")!),
                              dst: .v4(IPv4Address("192.0.2.1")!), ipID: 1, ttl: 64, length: 84,
                              transport: .icmp(type: 8, code: 0, id: 99, seq: 1))
        _ = session.packet(p, at: session.points[0].point, time: EventTime(seconds: 2000, micros: 0))
        let after = TUI.render(session: session, state: state, context: context)
        #expect(before.row(0).contains("PAUSED"))
        #expect(before.row(1) != after.row(1))  // a:eth0's packet counter moved
        #expect(after.row(1).contains("eth0 4"))
        #expect(!after.text.contains("10.9.9.9"))  // flows and packets panes stand still
        _ = press([.char("p")], &state, session)
        #expect(TUI.render(session: session, state: state, context: context).text.contains("10.9.9.9"))
    }

    @Test func qQuitsAndResizeRedraws() {
        let session = pingSession(1)
        var state = UIState()
        #expect(press([.resize, .char("q")], &state, session) == [.redraw, .quit])
        #expect(press([.char("q")], &state, session, context: RenderContext(width: 40, height: 10)) == [.quit])
    }

    @Test func labKeysOnlyWhenTheLabIsAttached() {
        let session = pingSession(1)
        var state = UIState()
        #expect(press([.char("n"), .char("d"), .char("r")], &state, session) == [.ignored, .ignored, .ignored])
        let lab = RenderContext(width: 80, height: 24, labKeys: true)
        #expect(press([.char("n"), .char("d"), .char("r")], &state, session, context: lab)
                == [.action(.lab(.toggleNAT)), .action(.lab(.toggleForwardDrop)), .action(.lab(.toggleReturnRule))])
        #expect(TUI.render(session: session, state: state, context: lab).row(0).contains("lab"))
        state.helpOpen = true
        #expect(TUI.render(session: session, state: state, context: lab).text.contains("FORWARD policy drop/accept"))
    }

    @Test func aClickSelectsTheFlowUnderTheMouse() {
        let session = pingSession(4)
        var state = UIState()
        let layout = Layout(context)
        _ = press([.tab], &state, session)
        #expect(press([.click(x: 10, y: layout.flows.top + 2)], &state, session) == [.handled])
        #expect(state.selectedFlowID == 2)  // rows: 4, 3, 2, 1
        #expect(state.focus == .flows)
        _ = press([.click(x: 10, y: layout.packets.top)], &state, session)
        #expect(state.focus == .packets)
        #expect(state.selectedFlowID == 2)
    }

    @Test func enterOpensTheDetailAndEscapeClosesIt() {
        let session = pingSession(2)
        var state = UIState()
        _ = press([.enter], &state, session)
        #expect(state.detailOpen)
        #expect(TUI.render(session: session, state: state, context: context).text.contains("Flow 2 detail"))
        _ = press([.escape], &state, session)
        #expect(!state.detailOpen)
        _ = press([.char("?")], &state, session)
        #expect(state.helpOpen)
        _ = press([.escape], &state, session)
        #expect(!state.helpOpen)
    }

    @Test func followAndClear() {
        let session = pingSession(3)
        var state = UIState()
        _ = press([.down, .char("f")], &state, session)
        #expect(state.followFlowID == 2)
        #expect(TUI.render(session: session, state: state, context: context).text.contains("Packets of flow 2 2"))
        _ = press([.char("c")], &state, session)
        #expect(session.packetLog.count == 0)
        _ = press([.char("f")], &state, session)
        #expect(state.followFlowID == nil)
    }

    @Test func namesWithControlCharactersAreShownEscaped() {
        let evil = CapturePoint(netns: "ns\u{1b}[2J", iface: "eth\u{07}0")
        let session = pingSession(1, points: [evil])
        let screen = TUI.render(session: session, state: UIState(), context: context)
        #expect(screen.text.contains("ns\\x1b[2J"))
        #expect(screen.text.contains("eth\\x070"))
        #expect(!screen.text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    @Test func noColorKeepsBoldAndReverse() {
        let session = pingSession(2)
        let screen = TUI.render(session: session, state: UIState(), context: RenderContext(width: 80, height: 24, color: false))
        #expect(screen.cells.allSatisfy { $0.style.color == .normal })
        #expect(screen.cells.contains { $0.style.reverse })
        #expect(screen.cells.contains { $0.style.bold })
    }
}
