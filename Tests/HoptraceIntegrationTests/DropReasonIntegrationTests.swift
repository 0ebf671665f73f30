import Foundation
import HoptraceSystem
import Testing

/// The kernel's drop reasons (skb:kfree_skb) beside the counters, on the live lab: read from a
/// tracefs instance of hoptrace's own, mounted in a mount namespace of its own when the machine
/// has none, and removed on exit; without tracefs the verdict cites the counters alone.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct DropReasonIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    /// The tracefs instances, seen through a tracefs mounted in a throwaway mount namespace.
    func instances() throws -> [String] {
        let r = try Hoptrace.exec(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                                   "mount -t tracefs nodev /sys/kernel/tracing && ls /sys/kernel/tracing/instances"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// This process's mount table: the machine's (the tests run in its mount namespace), but
    /// for the nsfs bind mounts under /run/netns that labs of tests running meanwhile add and remove.
    func mountTable() throws -> [String] {
        try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
            .filter { !$0.contains(" - nsfs ") }.map(String.init)
    }

    func verdict(_ lines: [String]) throws -> [String: Any] {
        let f = try #require(try finalFlowObjects(lines).last { $0["proto"] as? String == "icmp" }, "\(lines)")
        return f["verdict"] as? [String: Any] ?? [:]
    }

    func pingRemote(_ p: String) throws {
        _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "3"])
    }

    @Test func aRunTracesInAnInstanceOfItsOwnAndLeavesTheMachinesMountsAlone() throws {
        try withLab("kd", scenario: "S2") { p throws in
            #expect(try Hoptrace.run(["lab", "set", "ip-forward", "off", "--prefix", p]).status == 0)
            let before = try mountTable()
            var pid: Int32 = 0
            var during: [String] = []
            var tableDuring: [String] = []
            let lines = try watch(["--lab", "--prefix", p, "--flows", "--", "icmp"], during: {
                tableDuring = try mountTable()
                during = try instances()
                try pingRemote(p)
            }, started: { pid = $0 })
            #expect(during.contains("hoptrace_\(pid)"), "its own instance while it runs: \(during)")
            #expect(tableDuring == before, "tracefs was mounted in hoptrace's own mount namespace only")
            #expect(try mountTable() == before)
            #expect(!(try instances()).contains("hoptrace_\(pid)"), "removed on exit")
            let v = try verdict(lines)
            let why = v["why"] as? String ?? ""
            #expect(v["evidence"] as? String == "counted", "\(v)")
            // The cause's own reason leads; other drops on the machine may follow it.
            #expect(why.contains("; the kernel's drop reasons meanwhile (machine-wide, not tied to this flow): IP_INADDRERRORS ×"), "\(why)")
        }
    }

    /// Counters and reasons go into the recording (issue 17, point 4): the replay judges as the live run did.
    @Test func aReplayCitesTheCountsAndReasonsTheLiveRunCited() throws {
        try withLab("kw", scenario: "S2") { p throws in
            #expect(try Hoptrace.run(["lab", "set", "ip-forward", "off", "--prefix", p]).status == 0)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ht-counted-\(UUID().uuidString).pcapng").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            let live = try verdict(try watch(["--lab", "--prefix", p, "--flows", "-w", file, "--", "icmp"], during: { try pingRemote(p) }))
            let why = live["why"] as? String ?? ""
            #expect(live["evidence"] as? String == "counted" && why.contains("counted: Ip.InAddrErrors +") && why.contains("IP_INADDRERRORS ×"), "\(live)")
            let r = try Hoptrace.run(["watch", "-r", file, "--flows"])
            #expect(r.status == 0, "\(r.stderr)")
            let replayed = try verdict(r.stdout.split(separator: "\n").map(String.init))
            let replayedWhy = replayed["why"] as? String ?? ""
            // The count is the namespace's and the same; the reasons are machine-wide, and a replay judges
            // when its events' clock says, so drops of other tests may fall into its window differently.
            let reasons = "; the kernel's drop reasons meanwhile"
            #expect(replayedWhy.components(separatedBy: reasons).first == why.components(separatedBy: reasons).first, "replayed: \(replayed)")
            #expect(replayedWhy.contains("IP_INADDRERRORS ×"), "\(replayedWhy)")
            #expect(replayed["evidence"] as? String == "counted")
        }
    }

    @Test func withoutTracefsTheVerdictCitesTheCountersAlone() throws {
        try withLab("ku", scenario: "S2") { p throws in
            #expect(try Hoptrace.run(["lab", "set", "ip-forward", "off", "--prefix", p]).status == 0)
            // A mount namespace whose /sys/kernel is an empty tmpfs: nowhere to mount tracefs.
            let hidden = ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                          "mount -t tmpfs none /sys/kernel && exec \"$@\"", "sh"]
            let lines = try watch(["--lab", "--prefix", p, "--flows", "--", "icmp"], wrapper: hidden, during: { try pingRemote(p) })
            #expect(lines.contains { $0.hasPrefix("hoptrace: note: kernel drop reasons unavailable: cannot mount tracefs at /sys/kernel/tracing privately (No such file or directory)") },
                    "\(lines.filter { $0.hasPrefix("hoptrace:") })")
            let v = try verdict(lines)
            let why = v["why"] as? String ?? ""
            #expect(v["evidence"] as? String == "counted", "\(v)")
            #expect(why.contains("counted: Ip.InAddrErrors +"), "\(why)")
            #expect(!why.contains("drop reason"), "no reasons were traced, none are claimed: \(why)")
        }
    }

    @Test func noDropReasonsMakesNoInstance() throws {
        try withLab("kq", scenario: "S2") { p throws in
            var pid: Int32 = 0
            var during: [String] = []
            let lines = try watch(["--lab", "--prefix", p, "--flows", "--no-drop-reasons", "--", "icmp"], during: {
                during = try instances()
                try pingRemote(p)
            }, started: { pid = $0 })
            #expect(!during.contains("hoptrace_\(pid)"), "\(during)")
            #expect(!lines.contains { $0.contains("drop reasons unavailable") }, "asked for none: no note")
        }
    }

    @Test func anInstanceADeadHoptraceLeftIsRemovedAtTheNextStart() throws {
        // A pid that ran and ended: what a SIGKILLed hoptrace leaves behind.
        let gone = try Subprocess.launch(["/bin/true"], stdin: .inherit)
        gone.wait()
        let stale = "hoptrace_\(gone.pid)"
        let made = try Hoptrace.exec(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                                      "mount -t tracefs nodev /sys/kernel/tracing && mkdir /sys/kernel/tracing/instances/\(stale)"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try instances().contains(stale))
        let r = try Hoptrace.run(["doctor"])
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("OK   drop reasons ") && $0.contains("skb:kfree_skb reasons from ") }, "\(r.stdout)")
        #expect(!(try instances()).contains(stale), "doctor's start removed the dead one's instance")
    }

    @Test func doctorSaysWhyWithoutTheRightToMountTracefs() throws {
        let r = try Hoptrace.exec(["/usr/bin/setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", Hoptrace.binary, "doctor"])
        #expect(r.stdout.split(separator: "\n").contains {
            $0.hasPrefix("WARN drop reasons ") && $0.contains("cannot unshare a private mount namespace (Operation not permitted): verdicts cite the namespaces' counters only")
        }, "\(r.stdout)")
    }
}
