import Testing
import HoptraceCore
@testable import HoptraceTUI

/// Packets a fresh namespace sends by itself, and pings to add flows on top.
enum LinkTraffic {
    static let ns1 = CapturePoint(netns: "htns1", iface: "eth0")
    static let host = CapturePoint(netns: "hthost", iface: "veth1")

    static func v6(_ s: String) -> IPAddress { .v6(IPv6Address(s)!) }
    static func v4(_ s: String) -> IPAddress { .v4(IPv4Address(s)!) }

    /// Router solicitation (ICMPv6 133) to all-routers.
    static func routerSolicitation(from src: String) -> DecodedPacket {
        DecodedPacket(direction: .outbound, etherType: 0x86DD, src: v6(src), dst: v6("ff02::2"), ttl: 255, length: 56,
                      transport: .icmpv6(type: 133, code: 0, id: nil, seq: nil))
    }

    /// MLDv2 report (ICMPv6 143) to ff02::16.
    static func mldReport(from src: String) -> DecodedPacket {
        DecodedPacket(direction: .outbound, etherType: 0x86DD, src: v6(src), dst: v6("ff02::16"), ttl: 1, length: 76,
                      transport: .icmpv6(type: 143, code: 0, id: nil, seq: nil))
    }

    /// IGMPv3 report to 224.0.0.22.
    static func igmpReport(from src: String) -> DecodedPacket {
        DecodedPacket(direction: .outbound, etherType: 0x0800, src: v4(src), dst: v4("224.0.0.22"), ttl: 1, length: 40,
                      transport: .other(proto: 2))
    }

    static func ping(from k: Int) -> DecodedPacket {
        DecodedPacket(direction: .outbound, etherType: 0x0800, src: v4("10.0.0.\(k)"), dst: v4("192.0.2.1"),
                      ipID: UInt16(k), ttl: 64, length: 84, transport: .icmp(type: 8, code: 0, id: UInt16(k), seq: 1))
    }

    static func send(_ p: DecodedPacket, _ session: Session, at point: CapturePoint = ns1, second: Int) {
        _ = session.packet(p, at: point, time: EventTime(seconds: second, micros: 0))
    }

    /// Flow 1: a ping from htns1. Flows 2–5, all newer: RS and MLD from htns1, IGMP and RS from hthost.
    static func freshLab() -> Session {
        let session = Session(points: [ns1, host], correlator: Correlator(paths: UnknownPaths()))
        send(ping(from: 1), session, second: 1000)
        send(routerSolicitation(from: "fe80::1"), session, second: 1001)
        send(mldReport(from: "fe80::1"), session, second: 1002)
        send(igmpReport(from: "172.18.0.1"), session, at: host, second: 1003)
        send(routerSolicitation(from: "fe80::2"), session, at: host, second: 1004)
        return session
    }
}

@Suite struct SelectionAndControlTrafficTests {
    let context = RenderContext(width: 80, height: 24)

    func press(_ keys: [KeyInput], _ state: inout UIState, _ session: Session) -> [KeyResult] {
        keys.map { TUI.handle($0, state: &state, session: session, context: context) }
    }

    /// The flows pane's rows, as text.
    func flowRows(_ screen: ScreenBuffer) -> [String] {
        let pane = Layout(context).flows
        return (pane.top..<(pane.top + pane.rows)).map { screen.row($0) }
    }

    func selectedRow(_ screen: ScreenBuffer) -> String? {
        let pane = Layout(context).flows
        return (pane.top..<(pane.top + pane.rows)).first { screen.cells[$0 * screen.width + 2].style.reverse }
            .map { screen.row($0) }
    }

    // MARK: - The selection follows the flow

    @Test func aNewFlowOnTopDoesNotTakeTheSelectionBeforeAnyKey() {
        let session = pingSession(3)
        var state = UIState()
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == 3)  // newest first: the top row, now pinned by id
        LinkTraffic.send(LinkTraffic.ping(from: 4), session, at: session.points[0].point, second: 2000)
        #expect(FlowList.rows(session.correlator.allFlows, filter: "", sort: .newest).first?.id == 4)
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == 3)
        #expect(TUI.selectedFlow(session: session, state: state)?.id == 3)
        let screen = TUI.render(session: session, state: state, context: context)
        #expect(selectedRow(screen)?.contains("10.0.0.3 ") == true)
    }

    @Test func aChosenFlowStaysChosenAsRowsMoveDown() {
        let session = pingSession(3)
        var state = UIState()
        _ = press([.down], &state, session)
        #expect(state.selectedFlowID == 2)
        for k in 4...6 {
            LinkTraffic.send(LinkTraffic.ping(from: k), session, at: session.points[0].point, second: 2000 + k)
            TUI.settle(&state, session: session)
            #expect(TUI.selectedFlow(session: session, state: state)?.id == 2)
        }
        // The row moved from the second to the fifth; ↑ goes to the flow above it, not to row 1.
        _ = press([.up], &state, session)
        #expect(state.selectedFlowID == 3)
    }

    @Test func aSelectionThatIsGoneMovesToAListedFlow() {
        let session = pingSession(3)
        var state = UIState()
        state.selectedFlowID = 99
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == 3)
        state.filter = "10.0.0.1"
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == 1)
    }

    // MARK: - Link-local control traffic

    @Test func controlFlowsFoldIntoOneRowPerNamespaceUnderTheFlows() {
        let session = LinkTraffic.freshLab()
        var state = UIState()
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == 1)  // the ping, though four newer flows arrived after it
        let screen = TUI.render(session: session, state: state, context: context)
        let rows = flowRows(screen)
        #expect(rows[0].contains("10.0.0.1 → 192.0.2.1"))
        #expect(rows[1].contains("· 2 link-local control flows in hthost (ND, IGMP): a lists them"))
        #expect(rows[2].contains("· 2 link-local control flows in htns1 (ND, MLD): a lists them"))
        #expect(!rows.joined().contains("ff02::"))
        #expect(!rows.joined().contains("proto2"))
        #expect(screen.text.contains("Flows 1/5"))
        #expect(selectedRow(screen)?.contains("10.0.0.1") == true)
        // The folded rows are dim, never reversed.
        let pane = Layout(context).flows
        #expect(screen.cells[(pane.top + 1) * screen.width + 3].style.color == .dim)
        #expect(!screen.cells[(pane.top + 1) * screen.width + 3].style.reverse)
    }

    @Test func controlFlowsAreNeverSelectable() {
        let session = LinkTraffic.freshLab()
        var state = UIState()
        _ = press([.down, .down, .end, .pageDown], &state, session)
        #expect(state.selectedFlowID == 1)
        let pane = Layout(context).flows
        _ = press([.click(x: 10, y: pane.top + 1), .click(x: 10, y: pane.top + 2)], &state, session)
        #expect(state.selectedFlowID == 1)
        _ = press([.enter], &state, session)
        #expect(TUI.render(session: session, state: state, context: context).text.contains("Flow 1 detail"))
    }

    @Test func onlyControlFlowsMeansNoSelection() {
        let session = Session(points: [LinkTraffic.ns1], correlator: Correlator(paths: UnknownPaths()))
        LinkTraffic.send(LinkTraffic.routerSolicitation(from: "fe80::1"), session, second: 1000)
        LinkTraffic.send(LinkTraffic.mldReport(from: "fe80::1"), session, second: 1001)
        var state = UIState()
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == nil)
        #expect(TUI.selectedFlow(session: session, state: state) == nil)
        #expect(press([.enter], &state, session) == [.ignored])
        let screen = TUI.render(session: session, state: state, context: context)
        #expect(flowRows(screen)[0].contains("· 2 link-local control flows in htns1 (ND, MLD)"))
        #expect(screen.text.contains("select a flow to see its packets hop by hop"))
        // Listed with `a`, they are still not chosen for the user; ↓ chooses the first.
        _ = press([.char("a")], &state, session)
        #expect(state.selectedFlowID == nil)
        _ = press([.down], &state, session)
        #expect(state.selectedFlowID == 2)
    }

    @Test func aListsTheControlFlowsAndFoldsThemAgain() {
        let session = LinkTraffic.freshLab()
        var state = UIState()
        #expect(press([.char("a")], &state, session) == [.handled])
        #expect(state.showControl)
        var screen = TUI.render(session: session, state: state, context: context)
        #expect(screen.text.contains("Flows 5/5"))
        #expect(screen.text.contains("link-local listed"))
        // Newest first: listed above the ping (4 rows at 80×24, scrolled to keep the ping in view).
        let rows = flowRows(screen)
        #expect(rows[0].hasPrefix(" igmp"))
        #expect(rows.contains { $0.contains("fe80::1 → ff02::16") })
        #expect(TUI.selectedFlow(session: session, state: state)?.id == 1)  // but the selection stays on the ping
        #expect(selectedRow(screen)?.contains("10.0.0.1") == true)
        // Chosen by hand, a control flow may be looked at; folding it away hands the selection on.
        _ = press([.home], &state, session)
        #expect(state.selectedFlowID == 5)
        #expect(selectedRow(TUI.render(session: session, state: state, context: context))?.contains("fe80::2 → ff02::2") == true)
        _ = press([.char("a")], &state, session)
        #expect(!state.showControl)
        #expect(state.selectedFlowID == 1)
        screen = TUI.render(session: session, state: state, context: context)
        #expect(screen.text.contains("Flows 1/5"))
    }

    @Test func watchAllStartsWithThemListedAndTheSelectionOnARealFlow() {
        let session = LinkTraffic.freshLab()
        var state = UIState()
        state.showControl = true  // what `hoptrace watch --all` sets
        TUI.settle(&state, session: session)
        #expect(state.selectedFlowID == 1)
        let screen = TUI.render(session: session, state: state, context: context)
        #expect(selectedRow(screen)?.contains("10.0.0.1") == true)
    }

    @Test func endBringsTheFoldedRowsIntoView() {
        let session = pingSession(6, points: [LinkTraffic.ns1])
        LinkTraffic.send(LinkTraffic.routerSolicitation(from: "fe80::1"), session, second: 3000)
        var state = UIState()
        _ = press([.end], &state, session)
        #expect(state.selectedFlowID == 1)
        let rows = flowRows(TUI.render(session: session, state: state, context: context))
        #expect(rows.last?.contains("· 1 link-local control flow in htns1 (ND)") == true)
        #expect(rows[rows.count - 2].contains("10.0.0.1 "))
    }

    @Test func theHelpNamesTheKey() {
        var state = UIState()
        state.helpOpen = true
        #expect(TUI.render(session: pingSession(1), state: state, context: context).text.contains("list / fold link-local control"))
    }
}
