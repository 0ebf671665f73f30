import Foundation
import HoptraceCapture
import HoptraceSystem
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
            // No pipes to the client: the tmux server it forks would keep them open forever.
            let ended = try Subprocess.runDetached(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", script])
            guard ended.succeeded else { throw TestFailure("tmux new-session: \(ended)") }
        }

        func screen() throws -> String {
            let out = dir.appendingPathComponent("screen").path
            _ = try? Subprocess.launch(["tmux", "-L", socket, "capture-pane", "-p"], stdout: .file(out)).wait()
            return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        }
        func keys(_ k: String) throws { try Subprocess.runDetached(["tmux", "-L", socket, "send-keys", k]) }
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

        /// The exit status, once the shell has also written the settings after it (`after` comes
        /// right behind `status`: reading it before it is written once failed a loaded CI run).
        func waitForExit() -> String? {
            for _ in 0..<100 {
                if let s = file("status"), file("after")?.hasSuffix("\n") == true {
                    return s.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                usleep(100_000)
            }
            return file("status")?.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        deinit {
            _ = try? Subprocess.runDetached(["tmux", "-L", socket, "kill-server"])
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// The pid of the one `watch --lab --prefix P` running in the test's terminal.
    static func watchPID(prefix p: String) throws -> String {
        let pids = try Hoptrace.exec(["/usr/bin/pgrep", "-f", "^\(Hoptrace.binary) watch --lab --prefix \(p) "]).stdout
            .split(separator: "\n").map(String.init)
        return try #require(pids.count == 1 ? pids.first : nil, "one hoptrace running: \(pids)")
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
            // The new ping is a new flow, on top; the selection stays on the flow chosen (issue 13:
            // it follows the flow, not the row), so the user moves up to it.
            try term.wait { $0.contains("vanished after \(p)host:docker1") }
            try term.keys("Up")
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

    /// Issue 18: a host route sends the remote out enX2, which nobody watches. The journey says
    /// so and offers `w`; pressed, enX2 is captured from then on and the next ping is seen there.
    @Test func wWatchesTheInterfaceAStrayRouteLeadsTo() throws {
        try withLab("tw", scenario: "S2") { p throws in
            let setup = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "host", "/bin/sh", "-c",
                                           "ip link add enX2 type veth peer name enX2p && ip addr add 10.77.0.1/24 dev enX2 && ip link set enX2p up "
                                           + "&& ip link set enX2 up && ip route add 172.31.45.174/32 via 10.77.0.2 dev enX2"])
            try #require(setup.status == 0, "\(setup.stderr)")
            // arp too: the gateway 10.77.0.2 never answers, so what enX2 carries is the host asking for it.
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) -- icmp or arp")
            try term.wait { $0.contains("Flows") }
            _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "1", "-W", "1", "172.31.45.174"])
            let offered = try term.wait(12) { $0.contains("watch \(p)host:enX2 too") }
            #expect(offered.contains("routed out enX2 (not watched)"), "\(offered)")
            try term.keys("w")
            let watching = try term.wait { $0.contains("watching \(p)host:enX2 too") }
            #expect(watching.contains("watching \(p)host:enX2 too"), "\(watching)")
            _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "2", "-W", "1", "172.31.45.174"])
            let seen = try term.wait { $0.range(of: #"enX2 [1-9]"#, options: .regularExpression) != nil }
            #expect(seen.range(of: #"enX2 [1-9]"#, options: .regularExpression) != nil, "packets counted at the new point:\n\(seen)")
            #expect(seen.contains("\(p)host:enX2"), "its packets in the packets pane:\n\(seen)")
            try term.keys("q")
            #expect(term.waitForExit() == "0")
        }
    }

    /// `x`, `x`, `x` (explain on, off, on again): each time the status line says explain is on,
    /// `inet hoptrace_<pid>` is in every watched namespace; off, it is in none; and after the
    /// second `x` on, the kernel's traces still name the rule that drops the flow (issue 13, item 6:
    /// the second "on" said "tracing flow 1" and installed nothing).
    @Test func explainOffAndOnAgainReinstallsTheTraceTables() throws {
        try withLab("tx", scenario: "S2") { p throws in
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) -- icmp")
            try term.wait { $0.contains("Flows") }
            let pid = try Self.watchPID(prefix: p)
            // The namespaces `watch --lab` captures in (ns0 has no capture point).
            let watched = ["ns1", "host", "remote"].map { p + $0 }
            func tables() throws -> [(ns: String, list: String)] {
                var out: [(ns: String, list: String)] = []
                for ns in watched { out.append((ns, try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", ns, "nft", "list", "tables"]).stdout)) }
                return out
            }
            // One flow that keeps sending (one ping, one ICMP id): the flow traced is the flow pinged.
            // Every 2 s, so a dropped request stays "vanished" for a while before the next one.
            let ping = try ContinuousPing(prefix: p, interval: "2", deadline: 90)
            defer { ping.stop() }
            let replied = try term.wait { $0.contains("✓ replied") }
            try #require(replied.contains("✓ replied"), "the ping's flow is there to select:\n\(replied)")

            try term.keys("x")
            let on = try term.wait { $0.contains("explain: tracing flow") }
            #expect(on.contains("explain: tracing flow"), "\(on)")
            for (ns, t) in try tables() { #expect(t.contains("table inet hoptrace_\(pid)"), "x installs the table in \(ns): \(t)") }

            try term.keys("x")
            let off = try term.wait { $0.contains("explain off") }
            #expect(off.contains("explain off"), "\(off)")
            for (ns, t) in try tables() { #expect(!t.contains("hoptrace_"), "x again removes it from \(ns): \(t)") }

            try term.keys("x")
            let again = try term.wait { $0.contains("explain: tracing flow") }
            #expect(again.contains("explain: tracing flow"), "\(again)")
            for (ns, t) in try tables() {
                #expect(t.contains("table inet hoptrace_\(pid)"), "the third x installs it again in \(ns), as the status line says: \(t)")
            }

            // The traces flow again: the drop the lab now makes is named by the kernel's rule.
            try term.keys("d")
            try term.wait { $0.contains("FORWARD policy DROP") }
            let traced = try term.wait(15) { $0.contains("rule: ip filter FORWARD policy drop") }
            #expect(traced.contains("rule: ip filter FORWARD policy drop"), "the re-installed table traces the flow:\n\(traced)")

            try term.keys("q")
            #expect(term.waitForExit() == "0")
            for (ns, t) in try tables() { #expect(!t.contains("hoptrace_"), "nothing left in \(ns) at exit: \(t)") }
        }
    }

    /// The demo's whole point: a continuous ping while the lab keys flip the FORWARD policy
    /// and MASQUERADE. Within 3 s of each flip the ping's flow row shows the new truth, and
    /// the history strip keeps what came before.
    @Test func theFlowRowShowsEachFlipWithinThreeSeconds() throws {
        try withLab("tf", scenario: "S2") { p throws in
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) -- icmp")
            try term.wait { $0.contains("Flows") }
            let ping = try ContinuousPing(prefix: p, interval: "0.5")
            defer { ping.stop() }
            /// The ping's row in the flows pane (the first screen line naming its flow).
            func row(_ screen: String) -> String {
                screen.split(separator: "\n").first { $0.contains("icmp") && $0.contains("172.18.0.3") && $0.contains("172.31.45.174") }
                    .map(String.init) ?? ""
            }
            func says(_ state: String) -> (String) -> Bool {
                { screen in
                    let r = row(screen)
                    return state == "replied" ? r.contains("replied") && !r.contains("unreplied") : r.contains(state)
                }
            }
            let first = try term.wait(10, for: says("replied"))
            try #require(says("replied")(first), "the ping's flow replied first:\n\(first)")
            usleep(1_500_000)
            for (key, truth) in [("d", "vanished"), ("d", "replied"), ("n", "unreplied"), ("n", "replied")] {
                try term.keys(key)
                let flipped = Monotonic.now
                let screen = try term.wait(6, for: says(truth))
                let took = Monotonic.now - flipped
                #expect(says(truth)(screen) && took <= 3.0,
                        "after '\(key)' the row should say \(truth) within 3 s (took \(String(format: "%.1f", took)) s):\n\(screen)")
                // And it holds: no flapping back while the condition lasts.
                for _ in 0..<4 {
                    usleep(500_000)
                    let later = try term.screen()
                    #expect(says(truth)(later), "after '\(key)' the row went back on its word:\n\(row(later))")
                }
            }
            // The wide flows pane keeps the history: answered, then lost, then answered again.
            let strip = row(try term.screen())
            #expect(strip.contains("✗") && strip.contains("✓"), "history strip in the row: \(strip)")
            try term.keys("q")
            #expect(term.waitForExit() == "0")
        }
    }

    @Test func sigtermAlsoRestoresTheTerminal() throws {
        try withLab("tt", scenario: "S2") { p throws in
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) -- icmp")
            try term.wait { $0.contains("Flows") }
            kill(pid_t(try Self.watchPID(prefix: p))!, SIGTERM)
            #expect(term.waitForExit() != nil, "hoptrace ended on SIGTERM")
            #expect(term.file("before") == term.file("after"))
        }
    }

    /// A closed terminal (SIGHUP) is a way out like SIGTERM (issue 14): the run ends normally,
    /// the terminal's settings are restored and explain mode's tables are removed. Before, the
    /// default action killed hoptrace with the terminal raw and `inet hoptrace_<pid>` left live.
    @Test func sighupAlsoRestoresTheTerminalAndRemovesTheTraceTables() throws {
        try withLab("th", scenario: "S2") { p throws in
            let term = try Terminal("\(Hoptrace.binary) watch --lab --prefix \(p) --explain -- icmp")
            try term.wait { $0.contains("Flows") }
            let pid = try Self.watchPID(prefix: p)
            func tables() throws -> [String] {
                try ["ns0", "ns1", "host", "remote"].map { try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + $0, "nft", "list", "tables"]).stdout }
            }
            let installed = try tables()
            #expect(installed.contains { $0.contains("table inet hoptrace_\(pid)") }, "--explain installed its tables: \(installed)")
            kill(pid_t(pid)!, SIGHUP)
            #expect(term.waitForExit() == "0", "hoptrace ended normally on SIGHUP, not by it")
            #expect(term.file("before") == term.file("after"))
            let left = try tables()
            #expect(!left.contains { $0.contains("hoptrace_") }, "nothing left at exit: \(left)")
        }
    }
}

