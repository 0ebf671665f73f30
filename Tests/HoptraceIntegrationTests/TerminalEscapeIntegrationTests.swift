import Foundation
import HoptraceCore
import Testing

/// A recording handed over by someone else names its capture points and namespaces as it
/// likes: `watch -r FILE --text` and its stderr show those names escaped, and write no ESC,
/// no CSI and no bidi control to the terminal (issue 14, finding 5). Needs no root: only
/// the binary and a file.
@Suite struct TerminalEscapeIntegrationTests {
    /// Clears the screen; retitles the window, starts an 8-bit CSI, reverses the line.
    static let netns = "ns\u{1B}[2J"
    static let iface = "e\u{1B}]0;x\u{7}\u{9B}31m\u{202E}"
    static let shownPoint = #"ns\x1b[2J:e\x1b]0;x\x07\x9b31m\u202e"#

    /// One interface with the hostile names, an echo request seen there, and the conntrack
    /// event for it in the same namespace.
    static func recording() -> [UInt8] {
        let point = CapturePoint(netns: netns, iface: iface)
        let interface = RecordedInterface(point: point, linkType: 1, snapLength: 256, mac: [2, 0, 0, 0, 0, 1])
        let echo: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
                             0x45, 0, 0, 28, 0, 7, 0, 0, 64, 1, 0, 0, 172, 18, 0, 3, 172, 31, 45, 174,
                             8, 0, 0, 0, 0, 27, 0, 1]
        let event = ConntrackEvent(
            kind: .new, proto: 1,
            orig: .init(src: .v4(IPv4Address("172.18.0.3")!), dst: .v4(IPv4Address("172.31.45.174")!), icmp: (8, 0, 27)),
            reply: .init(src: .v4(IPv4Address("172.31.45.174")!), dst: .v4(IPv4Address("172.18.0.3")!), icmp: (0, 0, 27)),
            status: 8, tcpState: nil, timeout: 30, mark: 0, zone: 0, id: 7)
        let t: Int64 = 1_795_554_732_877_331
        return PcapngWriter.sectionHeader(application: "hoptrace test") + PcapngWriter.interface(interface)
            + PcapngWriter.packet(interface: 0, micros: t, captured: echo, wireLength: echo.count, direction: 1)
            + PcapngWriter.custom(ConntrackRecord(netns: netns, micros: t + 10, event: event).encoded)
    }

    /// What a terminal would obey: ESC (byte 0x1B), CSI (U+009B), any other control but the
    /// line break, a bidi control.
    static func obeyed(_ s: String) -> [Unicode.Scalar] {
        s.unicodeScalars.filter { $0 != "\n" && TerminalText.isUnsafe($0) }
    }

    /// Neither stream holds a raw ESC or anything else a terminal would obey.
    static func expectNothingObeyed(_ r: Hoptrace.Output) {
        for (name, text) in [("stdout", r.stdout), ("stderr", r.stderr)] {
            #expect(!text.utf8.contains(0x1B), "\(name) holds a raw ESC")
            #expect(obeyed(text).isEmpty, "\(name) holds \(obeyed(text).map { String($0.value, radix: 16) })")
        }
    }

    @Test func replayedTextShowsHostileNamesEscaped() throws {
        try withScratchDirectory("esc-text") { dir in
            let file = dir + "/hostile.pcapng"
            try Data(Self.recording()).write(to: URL(fileURLWithPath: file))
            let r = try Hoptrace.run(["watch", "-r", file, "--text"])
            #expect(r.status == 0, "\(r.stderr)")
            // The packet, the conntrack event and the flow all print, their names escaped.
            #expect(r.stdout.contains("\(Self.shownPoint) in IP 172.18.0.3 > 172.31.45.174: ICMP echo request"), "\(r.stdout)")
            #expect(r.stdout.contains(#"ns\x1b[2J conntrack [NEW] icmp 1"#), "\(r.stdout)")
            #expect(r.stdout.contains("flow 1 icmp"), "\(r.stdout)")
            Self.expectNothingObeyed(r)
        }
    }

    /// stderr too: a replay that stops at a broken block names the file, and a file name is
    /// just another name.
    @Test func anErrorOnStderrShowsItsNamesEscaped() throws {
        try withScratchDirectory("esc-stderr") { dir in
            let file = dir + "/rec\u{1B}[2J\u{9B}1m\u{202E}.pcapng"
            let broken = PcapngWriter.packet(interface: 0, micros: -1, captured: [UInt8](repeating: 0, count: 60), wireLength: 60, direction: 1)
            #expect(FileManager.default.createFile(atPath: file, contents: Data(Self.recording() + broken)))
            let r = try Hoptrace.run(["watch", "-r", file, "--text"])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains(#"/rec\x1b[2J\x9b1m\u202e.pcapng: "#), "\(r.stderr)")
            #expect(r.stdout.contains(Self.shownPoint), "the lines before the broken block still print: \(r.stdout)")
            Self.expectNothingObeyed(r)
        }
    }

    /// NDJSON of the same recording: the names are JSON-escaped, and so read safely on a terminal.
    @Test func replayedJSONEscapesHostileNames() throws {
        try withScratchDirectory("esc-json") { dir in
            let file = dir + "/hostile.pcapng"
            try Data(Self.recording()).write(to: URL(fileURLWithPath: file))
            let r = try Hoptrace.run(["watch", "-r", file, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains(#""netns":"ns\u001b[2J","iface":"e\u001b]0;x\u0007\u009b31m\u202e""#), "\(r.stdout)")
            #expect(Self.obeyed(r.stdout).isEmpty && Self.obeyed(r.stderr).isEmpty)
        }
    }

    /// ArgumentParser's own messages quote the argument they refuse: they reach stderr escaped.
    @Test func aParseErrorShowsTheArgumentEscaped() throws {
        let r = try Hoptrace.run(["watch", "--max-flows", "\u{1B}[31m"])
        #expect(r.status != 0, "\(r.stderr)")
        #expect(r.stderr.contains(#"'\x1b[31m' is invalid for '--max-flows"#), "\(r.stderr)")
        #expect(!r.stderr.utf8.contains(0x1B), "stderr holds a raw ESC")
        #expect(Self.obeyed(r.stderr).isEmpty)
        #expect(r.stdout.isEmpty, "\(r.stdout)")
    }

    /// Help is a clean exit: on stdout, status 0, unchanged by the escaping.
    @Test func helpStillGoesToStdout() throws {
        let r = try Hoptrace.run(["--help"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("USAGE: hoptrace"), "\(r.stdout)")
        #expect(!r.stdout.contains(#"\x"#), "help text was escaped: \(r.stdout)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
    }
}
