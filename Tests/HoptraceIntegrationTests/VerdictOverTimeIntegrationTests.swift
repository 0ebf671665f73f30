import Foundation
import HoptraceCapture
import HoptraceSystem
import Testing

/// A long-lived ping whose conditions change under it: the verdict in effect must be each
/// phase's truth, and hold it. Real lab, real ping, the real binary's NDJSON.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct VerdictOverTimeIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    /// `watch`'s stdout, each line with the time it arrived (seconds on the monotonic clock).
    final class TimedLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [(Double, String)] = []
        let process: Child
        private let err: String

        init(_ args: [String]) throws {
            let err = FileManager.default.temporaryDirectory.appendingPathComponent("ht-timed-\(UUID().uuidString).err").path
            // stdout through a pipe, so each line is timed as it comes, not when a file is next polled.
            let (out, process) = try namedPipe("timed", ourEnd: O_RDONLY | O_NONBLOCK) { fifo in
                try Subprocess.launch([Hoptrace.binary] + args, stdin: .null, stdout: .file(fifo), stderr: .file(err))
            }
            self.err = err
            self.process = process
            Thread.detachNewThread { [self] in
                var pending: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    // Non-blocking (our open could not wait for a writer): poll, then read.
                    var ready = pollfd(fd: out, events: Int16(POLLIN), revents: 0)
                    if poll(&ready, 1, -1) < 0 && errno != EINTR { break }
                    let n = chunk.withUnsafeMutableBytes { read(out, $0.baseAddress, $0.count) }
                    if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                    if n <= 0 { break }  // EOF: watch and everything it started have closed stdout
                    pending += chunk[0..<n]
                    let now = Monotonic.now
                    while let nl = pending.firstIndex(of: 0x0A) {
                        let line = String(decoding: pending[..<nl], as: UTF8.self)
                        pending.removeSubrange(...nl)
                        lock.withLock { lines.append((now, line)) }
                    }
                }
                close(out)
            }
            // Traffic only once every handle is open: watch says so on stderr.
            while fileText(err)?.contains("hoptrace: watching") != true {
                if !process.isRunning {
                    let said = fileText(err) ?? ""
                    if said.contains("hoptrace: watching") { break }
                    throw TestFailure("watch exited before watching: \(said)")
                }
                usleep(20_000)
            }
        }

        func stop() {
            process.signal(SIGINT)
            process.wait()
            usleep(200_000)
        }

        deinit { unlink(err) }

        var all: [(Double, String)] { lock.withLock { lines } }
    }

    /// The ping flow's lines (ns1 → remote), parsed.
    static func pingFlowLines(_ lines: [(Double, String)]) -> [(time: Double, flow: [String: Any])] {
        lines.compactMap { t, line in
            guard line.contains(#""type":"flow""#),
                  let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["proto"] as? String == "icmp", (o["orig"] as? [String: Any])?["src"] as? String == "172.18.0.3"
            else { return nil }
            return (t, o)
        }
    }

    static func verdict(_ f: [String: Any]) -> [String: Any] { f["verdict"] as? [String: Any] ?? [:] }

    /// "replied", "vanished at X", "unreplied +MASQUERADE hint": what a verdict says, for the timeline.
    static func summary(_ f: [String: Any]?) -> String {
        guard let f else { return "-" }
        let v = verdict(f)
        var s = v["state"] as? String ?? "?"
        if s == "vanished", let at = v["at"] as? String { s += " at \(at)" }
        if (v["hint"] as? String)?.contains("MASQUERADE") == true { s += " +MASQUERADE hint" }
        return s
    }

    /// The verdict in effect at `t`: the latest flow line that arrived by then.
    static func inEffect(at t: Double, _ flows: [(time: Double, flow: [String: Any])]) -> [String: Any]? {
        flows.last { $0.time <= t }?.flow
    }

    func set(_ p: String, _ knob: String, _ value: String) throws {
        let r = try Hoptrace.run(["lab", "set", "--prefix", p, knob, value])
        #expect(r.status == 0, "lab set \(knob) \(value): \(r.stderr)")
    }

    @Test func aContinuousPingThroughForwardDropAndNATOffIsAlwaysToldTheTruth() throws {
        try withLab("fl", scenario: "S2") { p throws in
            let watch = try TimedLines(["watch", "--lab", "--prefix", p, "--flows", "--stats-interval", "600", "--", "icmp"])
            let pinger = try ContinuousPing(prefix: p, interval: "0.5")
            defer { pinger.stop() }
            struct Phase { let name: String; let knob: (String, String)?; let truth: ([String: Any]) -> Bool }
            let host = "\(p)host"
            let phases = [
                Phase(name: "S2", knob: nil) { Self.verdict($0)["state"] as? String == "replied" },
                Phase(name: "forward drop", knob: ("forward", "drop")) {
                    Self.verdict($0)["state"] as? String == "vanished"
                        && Self.verdict($0)["reason"] as? String == "vanished after \(host):docker1, before \(host):enX0"
                },
                Phase(name: "S2 again", knob: ("forward", "accept")) { Self.verdict($0)["state"] as? String == "replied" },
                Phase(name: "nat off", knob: ("nat", "off")) {
                    Self.verdict($0)["state"] as? String == "unreplied"
                        && (Self.verdict($0)["hint"] as? String)?.contains("add MASQUERADE for 172.18.0.0/24") == true
                },
                Phase(name: "S2 once more", knob: ("nat", "on")) { Self.verdict($0)["state"] as? String == "replied" },
            ]
            let length = 8.0
            var starts: [Double] = []
            for phase in phases {
                if let (knob, value) = phase.knob { try set(p, knob, value) }
                starts.append(Monotonic.now)
                usleep(UInt32(length * 1_000_000))
            }
            let end = Monotonic.now
            watch.stop()
            let flows = Self.pingFlowLines(watch.all)
            // The timeline, second by second, for the record.
            var timeline = ""
            for (i, phase) in phases.enumerated() {
                var t = starts[i] + 1
                let until = i + 1 < starts.count ? starts[i + 1] : end
                while t <= until + 0.01 {
                    timeline += String(format: "%5.0fs  %-13@ %@\n", t - starts[0], phase.name as NSString,
                                       Self.summary(Self.inEffect(at: t, flows)) as NSString)
                    t += 1
                }
            }
            print("verdict in effect, second by second:\n" + timeline)
            // Through each phase's last 4 s the verdict in effect is the phase's truth.
            for (i, phase) in phases.enumerated() {
                let until = i + 1 < starts.count ? starts[i + 1] : end
                var t = until - 4
                while t < until {
                    let f = Self.inEffect(at: t, flows)
                    #expect(f.map(phase.truth) == true, "\(phase.name), \(String(format: "%.1f", t - starts[i])) s in: \(Self.summary(f))\n\(timeline)")
                    t += 0.25
                }
            }
            // Each flip is one `changed` event, not a flapping series.
            let changes = flows.filter { $0.flow["event"] as? String == "changed" }.map { "\($0.flow["from"] ?? "?")→\($0.flow["to"] ?? "?")" }
            #expect(changes.suffix(4) == ["replied→vanished", "vanished→replied", "replied→unreplied", "unreplied→replied"], "\(changes)")
        }
    }

    @Test func aPingAlreadyRunningOnS1HoldsUnreplied() throws {
        try withLab("vs", scenario: "S1") { p throws in
            let pinger = try ContinuousPing(prefix: p, interval: "0.5")
            defer { pinger.stop() }
            usleep(2_000_000)
            let watch = try TimedLines(["watch", "--lab", "--prefix", p, "--flows", "--stats-interval", "600", "--", "icmp"])
            usleep(7_000_000)
            watch.stop()
            let states = Self.pingFlowLines(watch.all).map { Self.verdict($0.flow)["state"] as? String ?? "?" }
            let first = try #require(states.firstIndex(of: "unreplied"), "\(states)")
            #expect(states[first...].allSatisfy { $0 == "unreplied" }, "\(states)")
            // Before the first request has had its second to be answered, only what is in flight
            // (or a packet that crossed a point before hoptrace's capture there had started).
            #expect(states[..<first].allSatisfy { ["in-flight", "delivered", "uncaptured"].contains($0) }, "\(states)")
            #expect(first <= 3, "\(states)")
            let last = try #require(Self.pingFlowLines(watch.all).last?.flow)
            #expect((Self.verdict(last)["hint"] as? String)?.contains("MASQUERADE") == true)
        }
    }
}
