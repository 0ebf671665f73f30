import Foundation
import HoptraceCore

/// (b) New NAT flows per second: hoptrace's conntrack subscriber next to `conntrack -E`.
struct FlowRateBench {
    let prefix: String
    let hoptrace: String
    /// `--flows`: events counted as read (the summary); `--json`: NEW lines written.
    let mode: String

    func run(rates: [Double]) throws {
        say("\n(b) new UDP flows through MASQUERADE, one second's worth per rate; NEW events seen by hoptrace watch \(mode) and by conntrack -E, same run")
        say("target flows/s | created | sent flows/s | hoptrace NEW  lost(ENOBUFS) | conntrack -E NEW | ratio")
        let host = "\(prefix)host"
        for rate in rates where BenchAbort.requested == 0 {
            try sh(["/usr/sbin/ip", "netns", "exec", host, "/usr/sbin/conntrack", "-F"])
            usleep(300_000)
            // The packet filter matches nothing: only conntrack events are counted.
            let watcher = try Observed("hoptrace-ct", [hoptrace, "watch", "-i", "\(host):enX0", mode, "--summary",
                                                       "--stats-interval", "3600", "--", "udp", "port", "1"], keepStdout: true)
            let listener = try Observed("conntrack-E", ["/usr/sbin/ip", "netns", "exec", host, "/usr/sbin/conntrack", "-E",
                                                        "-e", "NEW", "-p", "udp"], keepStdout: true)
            try watcher.waitFor("hoptrace: watching")
            usleep(500_000)  // conntrack -E says nothing when ready
            let flows = Int(rate)
            let load = try LoadGenerator(in: NetworkNamespace("\(prefix)ns1"), sockets: (flows + 59_999) / 60_000)
            let (sent, took) = load.send(to: "172.31.45.174", ports: 2000...61_999, total: flows, rate: rate)
            usleep(1_500_000)
            let created = Int(try sh(["/usr/sbin/ip", "netns", "exec", host, "/usr/sbin/conntrack", "-C"])
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            watcher.stop()
            listener.stop()
            // After a flush only this load makes events: every one read is a NEW.
            let hopNew = mode == "--json"
                ? try String(contentsOfFile: watcher.stdoutPath, encoding: .utf8)
                    .split(separator: "\n").filter { $0.contains(#""event":"new""#) && $0.contains(#""proto":"udp""#) }.count
                : Int(watcher.stderr.firstMatch(of: #/conntrack events (\d+) lost/#)?.1 ?? "-1")!
            let lost = Int(watcher.stderr.firstMatch(of: #/conntrack events \d+ lost (\d+)/#)?.1 ?? "-1")!
            let ctNew = listener.stdoutLines
            say(String(format: "%14.0f | %7d | %12.0f | %12d %13d | %16d | %.3f",
                         rate, created, Double(sent) / took, hopNew, lost, ctNew, Double(hopNew) / Double(max(1, ctNew))))
        }
        try sh(["/usr/sbin/ip", "netns", "exec", host, "/usr/sbin/conntrack", "-F"])
    }
}
