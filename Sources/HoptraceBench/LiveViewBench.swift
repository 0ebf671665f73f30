import Foundation
import Glibc
import HoptraceCapture
import HoptraceCore
import HoptraceSystem

/// (d) The live view's own CPU: idle (nothing moving: it must not spin), and while the
/// correlator holds 10k flows with traffic flowing. hoptrace runs in a 120x40 tmux window.
struct LiveViewBench {
    let prefix: String
    let hoptrace: String
    let seconds: Double

    func run(flows: Int, rate: Double) throws {
        say("\n(d) live view CPU (hoptrace watch --lab in a 120x40 tmux window, 10 Hz refresh)")
        let socket = "htbench-\(getpid())"
        defer { _ = try? Subprocess.runDetached(["tmux", "-L", socket, "kill-server"]) }
        try Subprocess.runDetached(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40",
                                    "\(hoptrace) watch --lab --prefix \(prefix) --max-flows \(flows * 2) -- udp or icmp"])
        usleep(2_500_000)
        guard let pid = Int32(try sh(["/usr/bin/pgrep", "-f", "^\(hoptrace) watch --lab --prefix \(prefix) "])
            .split(separator: "\n").first ?? "") else { throw BenchError("the live view did not start") }
        let idle = cpu(pid, over: seconds * 2) { }
        say(String(format: "idle: %.3f CPU s over %.0f s = %.2f%% of one core", idle, seconds * 2, 100 * idle / (seconds * 2)))
        // 10k flows: one datagram to each of 10k ports from ns1 (through MASQUERADE).
        let load = try LoadGenerator(in: NetworkNamespace("\(prefix)ns1"))
        _ = load.send(to: "172.31.45.174", ports: 20_000...UInt16(20_000 + flows - 1), total: flows, rate: 20_000)
        usleep(1_000_000)
        let busy = cpu(pid, over: seconds * 2) {
            _ = load.send(to: "172.31.45.174", ports: 20_000...UInt16(20_000 + flows - 1), total: Int(rate * seconds * 2), rate: rate)
        }
        say(String(format: "%d flows, %.0f pps through the 5 hops: %.3f CPU s over %.0f s = %.1f%% of one core",
                     flows, rate, busy, seconds * 2, 100 * busy / (seconds * 2)))
    }

    /// CPU seconds `pid` used while `during` ran, over at least `seconds`.
    func cpu(_ pid: Int32, over seconds: Double, during: () -> Void) -> Double {
        let before = cpuSeconds(pid), start = Date()
        during()
        let left = seconds - Date().timeIntervalSince(start)
        if left > 0 { usleep(useconds_t(left * 1e6)) }
        return cpuSeconds(pid) - before
    }

    func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let f = stat[stat.index(after: close)...].split(separator: " ")
        guard f.count > 13, let u = Double(f[11]), let s = Double(f[12]) else { return 0 }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
