import Foundation
import HoptraceCore
import Testing

/// `watch -r FILE` on a terminal (issue 14, finding 10). A terminal is where the live view
/// is the default, but a replay opens none, so it used to choose the live view's line
/// format — none — and print nothing. Now a replay prints text lines there, the same as
/// `--text` does into a pipe. Needs no root: util-linux `script` gives the run a pty on
/// stdin and stdout, as a user's terminal would.
@Suite struct ReplayOnTerminalTests {
    static let fixture = Hoptrace.packageRoot.appendingPathComponent("Tests/Fixtures/scenarios/s2-ping-masquerade.pcapng").path
    static let script = "/usr/bin/script"

    @Test func aReplayOnATerminalPrintsTheTextLines() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.script), "util-linux 'script' is needed to run on a pty")
        // `timeout`: had the live view opened, it would wait for a key that never comes.
        let command = ShellQuote.join(["/usr/bin/timeout", "60", Hoptrace.binary, "watch", "-r", Self.fixture])
        let r = try Hoptrace.exec([Self.script, "-q", "-e", "-c", command, "/dev/null"])
        #expect(r.status == 0, "status \(r.status): \(r.stdout) \(r.stderr)")
        // The pty turns every "\n" into "\r\n" (onlcr).
        let onTerminal = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(onTerminal.contains("ICMP echo request"), "no packet lines on the terminal: \(onTerminal.debugDescription)")
        #expect(onTerminal.contains(" flow 1 icmp 172.18.0.3 > 172.31.45.174"), "no flow lines on the terminal: \(onTerminal.debugDescription)")
        #expect(!onTerminal.contains("\u{1b}"), "escape sequences: the live view (or raw text) reached the terminal")

        // Exactly what --text writes into a pipe.
        let text = try Hoptrace.run(["watch", "-r", Self.fixture, "--text"])
        #expect(text.status == 0 && !text.stdout.isEmpty, "\(text.stderr)")
        #expect(onTerminal == text.stdout)
    }
}
