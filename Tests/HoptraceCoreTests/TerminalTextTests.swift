import Testing
import HoptraceCore

/// Names hoptrace did not choose reach `--text` lines and stderr shown, never obeyed
/// (issue 14, finding 5): ESC and CSI sequences, bidi overrides.
@Suite struct TerminalTextTests {
    /// A namespace that clears the screen; an interface that retitles the window, starts an
    /// 8-bit CSI sequence and reverses the rest of the line.
    static let netns = "ns\u{1B}[2J"
    static let iface = "e\u{1B}]0;x\u{7}\u{9B}31m\u{202E}"
    static let point = CapturePoint(netns: netns, iface: iface)
    /// How they print: `\x1b[2J`, `\x1b]0;x\x07\x9b31m\u202e`.
    static let shownNetns = #"ns\x1b[2J"#
    static let shownIface = #"e\x1b]0;x\x07\x9b31m\u202e"#

    static func obeyed(_ s: String) -> [Unicode.Scalar] {
        s.unicodeScalars.filter(TerminalText.isUnsafe)
    }

    @Test func escapesControlsAndBidiVisibly() {
        #expect(TerminalText.safe("a\u{1B}[2Jb") == #"a\x1b[2Jb"#)
        #expect(TerminalText.safe("\u{0}\u{7}\t\n\r\u{1F}") == #"\x00\x07\x09\x0a\x0d\x1f"#)
        #expect(TerminalText.safe("del\u{7F} csi\u{9B}31m c1\u{80}\u{9F}") == #"del\x7f csi\x9b31m c1\x80\x9f"#)
        #expect(TerminalText.safe("\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}") == #"\u202a\u202b\u202c\u202d\u202e"#)
        #expect(TerminalText.safe("\u{2066}\u{2067}\u{2068}\u{2069}") == #"\u2066\u2067\u2068\u2069"#)
    }

    @Test func leavesOrdinaryTextAlone() {
        let plain = #"flow 1 icmp 172.18.0.3 > 172.31.45.174 SNAT→172.31.39.53 ✓ ✗ … · é ü 名前 \x1b"#
        #expect(TerminalText.safe(plain) == plain)
        // The neighbours of every escaped range stay.
        let edges = "\u{20}\u{7E}\u{A0}\u{A9}\u{2029}\u{202F}\u{2065}\u{206A}"
        #expect(TerminalText.safe(edges) == edges)
        #expect(TerminalText.safe("") == "")
    }

    /// The byte scan that spares ordinary lines a copy agrees with the scalar rule on every
    /// character near the escaped ranges, at the start, middle and end of a line.
    @Test func byteScanAgreesWithTheScalarRule() {
        var wrong: [UInt32] = []
        for v in Array(UInt32(0)...0x3FF) + Array(UInt32(0x2000)...0x20FF) {
            guard let u = Unicode.Scalar(v) else { continue }
            let c = String(Character(u))
            for s in [c, "a" + c, c + "b", "a" + c + "b"] {
                let out = TerminalText.safe(s)
                if (out == s) == TerminalText.isUnsafe(u) || !Self.obeyed(out).isEmpty { wrong.append(v) }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.map { String($0, radix: 16) })")
    }

    @Test func isIdempotent() {
        let once = TerminalText.safe("x\u{1B}\u{9B}\u{202E}\\y")
        #expect(TerminalText.safe(once) == once)
    }

    @Test func safeLinesKeepsLineBreaksOnly() {
        #expect(TerminalText.safeLines("one\u{1B}[1m\ntwo\r\n\nthree\n") == "one\\x1b[1m\ntwo\\x0d\n\nthree\n")
    }

    @Test func packetTextShowsHostileNamesEscaped() throws {
        // An ICMP echo request (Ethernet, IPv4, ICMP header).
        let frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
                              0x45, 0, 0, 28, 0, 7, 0, 0, 64, 1, 0, 0, 172, 18, 0, 3, 172, 31, 45, 174,
                              8, 0, 0, 0, 0, 27, 0, 1]
        let p = try PacketDecoder.decodeEthernet(frame, wireLength: frame.count, ownMAC: [2, 0, 0, 0, 0, 1])
        let line = PacketText.line(p, at: Self.point, time: "T")
        #expect(line.hasPrefix("T \(Self.shownNetns):\(Self.shownIface) in IP 172.18.0.3 > 172.31.45.174: ICMP echo request"), "\(line)")
        #expect(Self.obeyed(line).isEmpty)
    }

    @Test func conntrackTextShowsAHostileNamespaceEscaped() {
        let a = IPAddress.v4(IPv4Address(0xAC12_0003)), b = IPAddress.v4(IPv4Address(0xAC1F_2DAE))
        let e = ConntrackEvent(kind: .new, proto: 1, orig: .init(src: a, dst: b, icmp: (8, 0, 27)),
                               reply: .init(src: b, dst: a, icmp: (0, 0, 27)), status: 1 << 3, timeout: 30)
        let line = ConntrackText.line(e, netns: Self.netns + "\u{202E}", time: "T")
        #expect(line.hasPrefix(#"T ns\x1b[2J\u202e conntrack [NEW] icmp 1 30 src=172.18.0.3"#), "\(line)")
        #expect(Self.obeyed(line).isEmpty)
    }

    /// nft rule comments are anyone's words: the trace line shows them escaped.
    @Test func traceTextShowsHostileRulesAndNamespaceEscaped() {
        let mark = RuleStep(family: .inet, table: "t\u{9B}2J", chain: "c", kind: .rule, handle: 2,
                            ruleText: "meta mark set 1 comment \"\u{1B}]0;owned\u{7}\"", verdict: .continue)
        let drop = RuleStep(family: .ip, table: "filter", chain: "FORWARD", kind: .policy, verdict: .drop)
        let path = RulePath(netns: Self.netns + "\u{2066}", steps: [mark, drop])
        let line = TraceJSON.text(path, flow: 3)
        #expect(line.hasPrefix(#"trace ns\x1b[2J\u2066 flow 3: ip filter FORWARD policy drop (via inet t\x9b2J c rule handle 2: meta mark set 1 comment "\x1b]0;owned\x07""#), "\(line)")
        #expect(Self.obeyed(line).isEmpty)
    }

    @Test func flowTextShowsHostileNamesEscaped() {
        let c = Correlator(paths: UnknownPaths())
        let p = Lab.tcp(Lab.remoteIP, 47814, Lab.hostIP, 80, flags: 0x02, seq: 1, ipid: 1, dir: .inbound)
        _ = c.ingest(packet: p, at: Self.point, time: EventTime(seconds: 0, micros: 0))
        let line = FlowText.line(c.allFlows[0])
        #expect(line.contains("seen at \(Self.shownNetns):\(Self.shownIface)"), "\(line)")
        #expect(Self.obeyed(line).isEmpty)
    }

    /// NDJSON escapes the same characters (as `\u00XX` / `\uXXXX`, which JSON allows), so
    /// a line read on a terminal is safe too, and parses back to the same name.
    @Test func jsonEscapesEveryControlAndBidiCharacter() {
        #expect(JSONLine.quote("a\u{1B}[2J\u{7}\u{7F}\u{80}\u{9B}31m\u{9F}\u{202A}\u{202E}\u{2066}\u{2069}")
            == #""a\u001b[2J\u0007\u007f\u0080\u009b31m\u009f\u202a\u202e\u2066\u2069""#)
        // Everything else passes as UTF-8, untouched, also next to an escaped character.
        #expect(JSONLine.quote("é→✓\u{A0}\u{202F}") == "\"é→✓\u{A0}\u{202F}\"")
        #expect(JSONLine.quote("é→✓\u{9B}") == #""é→✓\u009b""#)
        var j = JSONLine()
        j.add("iface", Self.iface)
        #expect(j.text == #"{"iface":"e\u001b]0;x\u0007\u009b31m\u202e"}"#)
        #expect(Self.obeyed(j.text).isEmpty)
    }
}
