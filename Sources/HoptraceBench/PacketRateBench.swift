import Foundation
import HoptraceCore

/// (a) Packets through the whole path, hoptrace and tcpdump capturing side by side.
struct PacketRateBench {
    let prefix: String
    let hoptrace: String
    let seconds: Double
    /// How hoptrace writes: `--flows` (decode + correlate, flow lines only: what the live
    /// view does) or `--json` (a line per packet as well).
    let mode: String
    /// false: hoptrace alone, to find its own ceiling without five tcpdumps competing for the CPUs.
    var withTcpdump = true
    var points: [(netns: String, iface: String)] {
        [("\(prefix)ns1", "eth0"), ("\(prefix)host", "veth1"), ("\(prefix)host", "docker1"), ("\(prefix)host", "enX0"), ("\(prefix)remote", "enX0")]
    }
    let filter = ["udp", "and", "dst", "port", "9000"]

    func run(rates: [Double]) throws {
        say("\n(a) UDP 64-byte frames ns1 → docker1 → enX0 → remote, \(seconds) s per rate; hoptrace watch --lab \(mode)\(withTcpdump ? " and 5× tcpdump -n, same run" : " alone")")
        say("target pps | sent pps | hoptrace: captured (min of 5 points)  kernel drops  CPU s  CPU s/Mpkt  caught up after s | tcpdump: captured (min)  kernel drops  CPU s | ratio")
        var cleanMax: Double = 0
        for rate in rates where BenchAbort.requested == 0 {
            let r = try once(rate: rate)
            let hopPct = 100 * Double(r.hoptraceMin) / Double(max(1, r.sent))
            let tcpPct = 100 * Double(r.tcpdumpMin) / Double(max(1, r.sent))
            let perM = r.hoptraceCPU / (Double(max(1, r.hoptraceTotal)) / 1e6)
            say(String(format: "%10.0f | %8.0f | %9.2f%% %12d %6.2f %10.2f %8.1f | %8.2f%% %12d %6.2f | %.3f",
                         rate, r.achieved, hopPct, r.hoptraceDrops, r.hoptraceCPU, perM, r.hoptraceLag, tcpPct, r.tcpdumpDrops, r.tcpdumpCPU,
                         withTcpdump ? Double(r.hoptraceMin) / Double(max(1, r.tcpdumpMin)) : .nan))
            if r.hoptraceMin >= r.sent && r.hoptraceDrops == 0 { cleanMax = max(cleanMax, r.achieved) }
        }
        say(String(format: "highest rate with nothing lost by hoptrace on any point: %.0f pps", cleanMax))
    }

    /// The path's own ceiling with five capture points: the cheapest capturer there is
    /// (`tcpdump -w /dev/null`, no decoding) on each hop interface, no hoptrace. What the
    /// sender reaches here bounds every figure above on this machine.
    func ceiling(rates: [Double]) throws {
        say("\n(a0) the path's ceiling: UDP 64-byte frames ns1 → docker1 → enX0 → remote, \(seconds) s per rate, 5× tcpdump -w /dev/null, no hoptrace")
        say("target pps | sent pps | tcpdump -w: captured (min of 5)  kernel drops  CPU s")
        for rate in rates where BenchAbort.requested == 0 {
            let dumps = try tcpdumps(["-w", "/dev/null"])
            for d in dumps { try d.waitFor("listening on") }
            let load = try LoadGenerator(in: NetworkNamespace("\(prefix)ns1"))
            let (sent, took) = load.send(to: "172.31.45.174", ports: 9000...9000, total: Int(rate * seconds), rate: rate)
            for d in dumps { d.waitUntilIdle() }
            let cpu = dumps.reduce(0) { $0 + $1.cpuSeconds }
            dumps.forEach { $0.stop() }
            let (captured, drops) = Self.tcpdumpCounts(dumps)
            say(String(format: "%10.0f | %8.0f | %9.2f%% %12d %6.2f", rate, Double(sent) / took,
                         100 * Double(captured) / Double(max(1, sent)), drops, cpu))
        }
    }

    /// One `tcpdump -n` per hop interface, in its namespace (`extra`: e.g. `-w /dev/null`).
    func tcpdumps(_ extra: [String] = []) throws -> [Observed] {
        try points.map { p in
            try Observed("tcpdump-\(p.netns)-\(p.iface)", ["/usr/sbin/ip", "netns", "exec", p.netns, "/usr/bin/tcpdump", "-n",
                                                       "-i", p.iface, "-s", "256", "-B", "32768"] + extra + filter)
        }
    }

    /// What stopped tcpdumps said: the fewest packets one captured, and the kernel's drops in all.
    static func tcpdumpCounts(_ dumps: [Observed]) -> (minCaptured: Int, drops: Int) {
        let captured = dumps.map { d in Int(d.stderr.firstMatch(of: #/(\d+) packets captured/#)?.1 ?? "0")! }
        let drops = dumps.reduce(0) { $0 + Int($1.stderr.firstMatch(of: #/(\d+) packets dropped by kernel/#)?.1 ?? "0")! }
        return (captured.min() ?? 0, drops)
    }

    struct Result {
        var sent = 0, achieved = 0.0
        var hoptraceMin = 0, hoptraceTotal = 0, hoptraceDrops = 0, hoptraceCPU = 0.0
        /// Seconds after the sender finished until hoptrace had read everything (0.5 s is idle at once).
        var hoptraceLag = 0.0
        var tcpdumpMin = 0, tcpdumpDrops = 0, tcpdumpCPU = 0.0
    }

    func once(rate: Double) throws -> Result {
        let watcher = try Observed("hoptrace", [hoptrace, "watch", "--lab", "--prefix", prefix, mode, "--summary",
                                                "--stats-interval", "3600", "--"] + filter)
        let dumps = withTcpdump ? try tcpdumps() : []
        try watcher.waitFor("hoptrace: watching")
        for d in dumps { try d.waitFor("listening on") }
        let load = try LoadGenerator(in: NetworkNamespace("\(prefix)ns1"))
        let (sent, took) = load.send(to: "172.31.45.174", ports: 9000...9000, total: Int(rate * seconds), rate: rate)
        // Loss, not lag: every capturer is given the time to read what its kernel buffer
        // kept (what the buffer could not keep is a kernel drop). The lag is reported.
        var r = Result(sent: sent, achieved: Double(sent) / took)
        r.hoptraceLag = watcher.waitUntilIdle()
        for d in dumps { d.waitUntilIdle() }
        r.hoptraceCPU = watcher.cpuSeconds
        r.tcpdumpCPU = dumps.reduce(0) { $0 + $1.cpuSeconds }
        watcher.stop()
        dumps.forEach { $0.stop() }
        // "hoptrace: summary P received R dropped D decoded N; …"
        let summary = watcher.stderr.split(separator: "\n").first { $0.hasPrefix("hoptrace: summary") } ?? ""
        let perPoint = summary.matches(of: #/received (\d+) dropped (\d+) decoded (\d+)/#)
        let decoded = perPoint.map { Int($0.3)! }
        r.hoptraceMin = decoded.count == points.count ? decoded.min()! : 0
        r.hoptraceTotal = decoded.reduce(0, +)
        r.hoptraceDrops = perPoint.reduce(0) { $0 + Int($1.2)! }
        (r.tcpdumpMin, r.tcpdumpDrops) = Self.tcpdumpCounts(dumps)
        return r
    }
}
