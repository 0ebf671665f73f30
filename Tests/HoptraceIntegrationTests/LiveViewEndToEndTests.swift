import Foundation
import HoptraceCapture
import Testing

/// The real binary's live view in a real terminal (tmux) on the live lab: what a user sees.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct LiveViewEndToEndTests {
    init() { Privilege.ciRequiresRoot() }

    /// A tmux server of this test's own, a 120×40 window running `command` in a shell that
    /// records the terminal settings before and after and hoptrace's exit status.
    final class Terminal {
        let socket = "hoptrace-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ht-tui-\(UUID().uuidString)")

        init(_ command: String) throws {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let d = dir.path
            let script = "stty -g > \(d)/before; \(command); echo $? > \(d)/status; stty -g > \(d)/after; sleep 120"
            // Not through Foundation's Process: the tmux server it forks keeps the client's
            // descriptors, and Process then never reaps the client. posix_spawn + waitpid does.
            let status = Spawn.run(["/usr/bin/tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", script])
            guard status == 0 else { throw TestFailure("tmux new-session exited with \(status)") }
        }

        func screen() throws -> String {
            let out = dir.appendingPathComponent("screen").path
            _ = Spawn.run(["/usr/bin/tmux", "-L", socket, "capture-pane", "-p"], stdout: out)
            return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        }
        func keys(_ k: String) throws { _ = Spawn.run(["/usr/bin/tmux", "-L", socket, "send-keys", k]) }
        func file(_ name: String) -> String? { try? String(contentsOfFile: dir.appendingPathComponent(name).path, encoding: .utf8) }

        /// Polls the screen until `predicate` holds (or `seconds` pass); returns the last screen.
        @discardableResult
        func wait(_ seconds: Double = 8, for predicate: (String) -> Bool) throws -> String {
            var s = ""
            for _ in 0..<Int(seconds * 10) {
                s = try screen()
                if predicate(s) { return s }
                usleep(100_000)
            }
            return s
        }

        func waitForExit() -> String? {
            for _ in 0..<100 {
                if let s = file("status") { return s.trimmingCharacters(in: .whitespacesAndNewlines) }
                usleep(100_000)
            }
            return nil
        }

        deinit {
            _ = Spawn.run(["/usr/bin/tmux", "-L", socket, "kill-server"])
            try? FileManager.default.removeItem(at: dir)
        }
    }

    @Test func pingShowsTheSnatJourneyThenDropKeyShowsTheVanishedVerdictAndQRestoresTheTerminal() throws {
        try withLab("tv", scenario: "S2") { p throws in
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) -- icmp")
            try term.wait { $0.contains("Flows 0/0") || $0.contains("\(p)host") }
            #expect(try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "2"]).status == 0)
            let s2 = try term.wait { $0.contains("replied") && $0.contains("SNAT src→172.31.39.53") }
            #expect(s2.contains("SNAT src→172.31.39.53"), "the journey marks the rewrite:\n\(s2)")
            #expect(s2.contains("SNAT→172.31.39.53"), "the flow row carries the NAT badge")
            #expect(s2.contains("✓ replied"), "\(s2)")
            for point in ["\(p)ns1:eth0", "\(p)host:docker1", "\(p)host:enX0", "\(p)remote:enX0"] { #expect(s2.contains(point)) }

            try term.keys("d")
            let dropped = try term.wait { $0.contains("FORWARD policy DROP") }
            #expect(dropped.contains("lab: FORWARD policy DROP"), "\(dropped)")
            _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "1"])
            let s3 = try term.wait { $0.contains("✗ vanished after \(p)host:docker1, before \(p)host:enX0") }
            #expect(s3.contains("✗ vanished after \(p)host:docker1, before \(p)host:enX0"), "\(s3)")
            #expect(s3.contains("✗ not seen"))

            try term.keys("q")
            #expect(term.waitForExit() == "0")
            let before = term.file("before"), after = term.file("after")
            #expect(before != nil && before == after, "terminal settings restored: \(before ?? "-") vs \(after ?? "-")")
            let last = try term.screen()
            #expect(!last.contains("Journey of flow"), "the alternate screen is gone:\n\(last)")
        }
    }

    @Test func sigtermAlsoRestoresTheTerminal() throws {
        try withLab("tt", scenario: "S2") { p throws in
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) -- icmp")
            try term.wait { $0.contains("Flows") }
            let pids = try Hoptrace.exec(["/usr/bin/pgrep", "-f", "^\(Hoptrace.binary) watch --lab --prefix \(p) "]).stdout.split(separator: "\n")
            #expect(!pids.isEmpty)
            for pid in pids { kill(pid_t(pid)!, SIGTERM) }
            #expect(term.waitForExit() != nil, "hoptrace ended on SIGTERM")
            #expect(term.file("before") == term.file("after"))
        }
    }
}

