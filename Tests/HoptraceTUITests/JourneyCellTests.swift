import Testing
import HoptraceCore
@testable import HoptraceTUI

/// Journey cells show whole addresses when the column has room, and cut only as far as needed.
@Suite struct JourneyCellTests {
    let g = Glyphs.unicode

    func hop(_ src: String, _ dst: String, sport: UInt16? = nil, dport: UInt16? = nil) -> Hop {
        Hop(point: CapturePoint(netns: "a", iface: "eth0"), dir: .outbound, time: EventTime(micros: 0),
            src: .v4(IPv4Address(src)!), dst: .v4(IPv4Address(dst)!), sport: sport, dport: dport)
    }

    /// The cell as drawn: `src>dst`.
    func cell(_ h: Hop, ports: Bool = false, width: Int) -> String {
        let (src, dst) = JourneyPane.tupleParts(h, ports: ports, width: width, g)
        return src + ">" + dst
    }

    @Test func aCellWithRoomShowsBothAddressesInFull() {
        #expect(cell(hop("172.18.0.3", "172.31.45.174"), width: 24) == "172.18.0.3>172.31.45.174")
    }

    @Test func onlyWhatDoesNotFitIsCut() {
        let h = hop("172.18.0.3", "172.31.45.174")
        // One octet less of the longer address is enough at 22 (it used to cut both).
        #expect(cell(h, width: 22) == "172.18.0.3>…31.45.174")
        #expect(cell(h, width: 18) == "…18.0.3>…31.45.174")
        #expect(cell(h, width: 14) == "…0.3>…45.174")
    }

    @Test func aReplyIsCutAsItsRequestMirrored() {
        let request = hop("172.18.0.3", "172.31.45.174"), reply = hop("172.31.45.174", "172.18.0.3")
        for width in 10...26 {
            let (a, b) = JourneyPane.tupleParts(request, ports: false, width: width, g)
            let (c, d) = JourneyPane.tupleParts(reply, ports: false, width: width, g)
            #expect(a == d && b == c, "width \(width): \(a)>\(b) vs \(c)>\(d)")
        }
        #expect(cell(reply, width: 22) == "…31.45.174>172.18.0.3")
    }

    @Test func portsStayWhileAddressesShrink() {
        let h = hop("172.31.45.174", "172.31.39.53", sport: 48444, dport: 80)
        #expect(cell(h, ports: true, width: 35) == "172.31.45.174:48444>172.31.39.53:80")
        #expect(cell(h, ports: true, width: 22) == "…174:48444>…39.53:80")
        // Narrower still, the client's ephemeral port goes first.
        #expect(cell(h, ports: true, width: 14) == "…174>…39.53:80")
    }

    /// S7 at 200 columns: the ladder's cells have room for `172.31.45.174:48444>172.31.39.53:80`
    /// (35), wider than the 26 columns used to be capped at.
    @Test func aWideTerminalShowsFullAddressesInTheLadder() throws {
        let session = try Scenario.s7.session()
        let context = RenderContext(width: 200, height: 40)
        let screen = TUI.render(session: session, state: UIState(), context: context)
        let pane = Layout(context).journey
        let ladder = (pane.top..<(pane.top + pane.rows)).map { screen.row($0) }.joined(separator: "\n")
        #expect(ladder.contains("172.31.45.174:48444>172.31.39.53:80"))
        #expect(ladder.contains("172.31.45.174:48444>172.18.0.3:80"))
        #expect(!ladder.contains("…"))
        let flow = try #require(session.correlator.allFlows.first)
        #expect(JourneyPane.columnWidth(flow, cols: JourneyPane.columns(flow), screenWidth: 200) == 35)
        #expect(JourneyPane.columnWidth(flow, cols: JourneyPane.columns(flow), screenWidth: 80) == 14)
    }
}
