import Foundation
import Testing

/// `hoptrace watch` on the live lab: real pcap handles in four namespaces, a real ping.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct WatchIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    @Test func s2PingIsSeenOnEveryHopWithTheSnatSource() throws {
        try withLab("wa", scenario: "S2") { prefix throws in
            let watcher = Process()
            watcher.executableURL = URL(fileURLWithPath: Hoptrace.binary)
            watcher.arguments = ["watch", "--lab", "--prefix", prefix, "--duration", "4", "--", "icmp"]
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ht-watch-\(prefix).out")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: out) }
            watcher.standardOutput = try FileHandle(forWritingTo: out)
            watcher.standardError = watcher.standardOutput
            try watcher.run()
            usleep(1_000_000)
            let ping = try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"])
            #expect(ping.status == 0)
            watcher.waitUntilExit()
            let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
            func seen(_ point: String, _ what: String) -> Bool { lines.contains { $0.contains(" \(prefix)\(point) ") && $0.contains(what) } }
            let request = "172.18.0.3 > 172.31.45.174: ICMP echo request"
            let natted = "172.31.39.53 > 172.31.45.174: ICMP echo request"
            #expect(seen("ns1:eth0", "out IP " + request), "\(lines)")
            #expect(seen("host:veth1", request))
            #expect(seen("host:docker1", "in IP " + request))
            #expect(seen("host:enX0", "out IP " + natted))
            #expect(seen("remote:enX0", "in IP " + natted))
            #expect(seen("remote:enX0", "out IP 172.31.45.174 > 172.31.39.53: ICMP echo reply"))
            #expect(seen("ns1:eth0", "in IP 172.31.45.174 > 172.18.0.3: ICMP echo reply"))
        }
    }

    @Test func badInputGetsOneClearSentence() throws {
        let ns = try Hoptrace.run(["watch", "-i", "hti-nosuch-ns:eth0", "--count", "1"])
        #expect(ns.status != 0 && ns.stderr.contains("network namespace not found: /run/netns/hti-nosuch-ns"))
        try withLab("wb", scenario: "S2") { prefix throws in
            let iface = try Hoptrace.run(["watch", "-i", "\(prefix)host:nope0", "--count", "1"])
            #expect(iface.status != 0 && iface.stderr.contains("no such interface in namespace \(prefix)host"))
            let filter = try Hoptrace.run(["watch", "-i", "\(prefix)host:enX0", "--count", "1", "--", "icmp", "or", "bogus"])
            #expect(filter.status != 0 && filter.stderr.contains("invalid capture filter 'icmp or bogus': syntax error"))
        }
    }
}
