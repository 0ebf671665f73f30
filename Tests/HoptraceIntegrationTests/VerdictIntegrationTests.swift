import Foundation
import HoptraceSystem
import Testing

/// Why it dropped, as the binary reports it: `watch --lab --flows --explain` on each
/// scenario, asserting the NDJSON verdict's place, rule or condition, and fix.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct VerdictIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    /// One ping of `count` echo requests (one ICMP id: the first creates the flow and
    /// starts its trace, the later ones are traced); returns every line and the flows' last lines.
    func explained(_ p: String, to: String = "172.31.45.174", count: Int = 3, points: [String]? = nil, setup: () throws -> Void = {})
        throws -> (lines: [String], flows: [[String: Any]]) {
        try setup()
        let watching = points.map { $0.flatMap { ["-i", $0] } } ?? ["--lab", "--prefix", p]
        let lines = try watch(watching + ["--flows", "--explain", "--stats-interval", "60", "--", "icmp"]) { () throws in
            _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--to", to, "--count", "\(count)", "--interval", "0.5"])
        }
        var last: [Int: [String: Any]] = [:]
        for line in lines where line.contains(#""type":"flow""#) {
            let o = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let id = o["flow"] as? Int, o["proto"] as? String == "icmp" { last[id] = o }
        }
        return (lines, last.keys.sorted().compactMap { last[$0] })
    }

    func verdict(_ f: [String: Any]?) -> [String: Any] { f?["verdict"] as? [String: Any] ?? [:] }
    func host(_ p: String, _ argv: [String]) throws {
        let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", "\(p)host"] + argv)
        #expect(r.status == 0, "\(argv): \(r.stderr)")
    }

    @Test func s3TheKernelNamesTheForwardPolicyDrop() throws {
        try withLab("v3", scenario: "S3") { p throws in
            let (lines, flows) = try explained(p)
            let v = verdict(flows.first)
            #expect(v["state"] as? String == "vanished", "\(flows)")
            #expect(v["at"] as? String == "\(p)host:docker1")
            #expect(v["reason"] as? String == "vanished after \(p)host:docker1, before \(p)host:enX0")
            #expect(v["rule"] as? String == "ip filter FORWARD policy drop", "\(v)")
            #expect(v["evidence"] as? String == "traced")
            #expect(v["fix"] as? String == "ip netns exec \(p)host iptables -A FORWARD -i docker1 '!' -o docker1 -j ACCEPT", "\(v)")
            #expect(lines.contains { $0.contains(#""type":"trace""#) && $0.contains(#""verdict":"ip filter FORWARD policy drop""#) && $0.contains(#""dropped":true"#) })
        }
    }

    @Test func s4TheReplyDiesInForwardForLackOfTheReturnRule() throws {
        try withLab("v4", scenario: "S4") { p throws in
            let (_, flows) = try explained(p)
            let v = verdict(flows.first)
            #expect(v["state"] as? String == "vanished", "\(flows)")
            #expect((v["reason"] as? String)?.contains("after \(p)host:enX0, before \(p)host:docker1") == true, "\(v)")
            #expect(v["rule"] as? String == "ip filter FORWARD policy drop", "\(v)")
            #expect(v["fix"] as? String == "ip netns exec \(p)host iptables -A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "\(v)")
        }
    }

    @Test func s5BridgedTrafficFilteredByIptables() throws {
        try withLab("v5", scenario: "S5") { p throws in
            // The lab's five points plus the second container's: the bridged path ns1 → veth1 → veth0 → ns0.
            let (_, flows) = try explained(p, to: "172.18.0.2", points: ["\(p)ns1:eth0", "\(p)host:veth1", "\(p)host:veth0", "\(p)ns0:eth0"])
            let v = verdict(flows.first)
            #expect(v["state"] as? String == "vanished", "\(flows)")
            #expect((v["why"] as? String)?.contains("bridge-nf-call-iptables") == true, "\(v)")
            #expect(v["rule"] as? String == "ip filter FORWARD policy drop", "\(v)")
            let fix = v["fix"] as? String ?? ""
            #expect(fix.contains("-i docker1 -o docker1 -j ACCEPT") || fix.contains("bridge-nf-call-iptables=0"), "\(v)")
            #expect(fix.hasPrefix("ip netns exec \(p)host "), "pasted on the host it must not change the host's FORWARD: \(v)")
        }
    }

    @Test func s1UntranslatedSourceWantsMasquerade() throws {
        try withLab("v1", scenario: "S1") { p throws in
            let (_, flows) = try explained(p, count: 1)
            let v = verdict(flows.first)
            #expect(v["state"] as? String == "unreplied", "\(flows)")
            #expect((v["why"] as? String)?.contains("likely missing MASQUERADE") == true, "\(v)")
            #expect(v["fix"] as? String == "ip netns exec \(p)host iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE", "\(v)")
        }
    }

    @Test func s6ANamespaceWithoutDefaultRouteIsNamedWithItsFix() throws {
        try withLab("v6", scenario: "S6") { p throws in
            let (lines, flows) = try explained(p, count: 1)
            #expect(flows.isEmpty, "no packet can leave: \(flows)")
            let d = try #require(lines.first { $0.contains(#""type":"diagnosis""#) }, "\(lines)")
            #expect(d.contains(#""netns":"\#(p)ns1""#) && d.contains("has no default route"))
            #expect(d.contains(#""fix":"ip -n \#(p)ns1 route add default via 172.18.0.1""#), "\(d)")
        }
    }

    @Test func ipForwardOffIsTheCondition() throws {
        try withLab("vf", scenario: "S2") { p throws in
            let (_, flows) = try explained(p, count: 2) { () throws in
                #expect(try Hoptrace.run(["lab", "set", "ip-forward", "off", "--prefix", p]).status == 0)
            }
            let v = verdict(flows.first)
            #expect(v["state"] as? String == "vanished", "\(flows)")
            #expect((v["why"] as? String)?.contains("ip_forward is 0") == true, "\(v)")
            #expect(v["fix"] as? String == "ip netns exec \(p)host sysctl -w net.ipv4.ip_forward=1", "\(v)")
        }
    }

    @Test func aRejectRuleAnswersWithAnIcmpErrorTiedToTheFlow() throws {
        try withLab("vr", scenario: "S2") { p throws in
            // Five requests: the first sets the flow's trace up, and on a loaded machine installing it
            // can outlast a request or two (a fresh-clone CI run once saw none of three traced).
            let (_, flows) = try explained(p, count: 5) { () throws in
                try host(p, ["iptables", "-I", "FORWARD", "-p", "icmp", "--icmp-type", "echo-request", "-j", "REJECT"])
            }
            let v = verdict(flows.first)
            #expect(v["state"] as? String == "icmp-error", "\(flows)")
            #expect((v["rule"] as? String)?.contains("reject") == true, "\(v)")
            #expect((v["why"] as? String)?.contains("REJECT") == true || (v["rule"] as? String)?.contains("FORWARD") == true, "\(v)")
        }
    }

    @Test func s2AndS7HaveNoDropVerdict() throws {
        try withLab("v2", scenario: "S2") { p throws in
            let (_, flows) = try explained(p, count: 2)
            #expect(verdict(flows.first)["state"] as? String == "replied", "\(flows)")
            #expect(verdict(flows.first)["rule"] == nil)
        }
        try withLab("v7", scenario: "S7") { p throws in
            let lines = try watch(["--lab", "--prefix", p, "--flows", "--explain", "--", "tcp", "port", "80"]) { () throws in
                #expect(try Hoptrace.run(["lab", "connect", "--prefix", p, "--port", "80"]).status == 0)
            }
            let finals = lines.filter { $0.contains(#""event":"final""#) && $0.contains(#""proto":"tcp""#) }
            #expect(!finals.isEmpty && finals.allSatisfy { $0.contains(#""state":"replied""#) && !$0.contains(#""rule":"#) }, "\(finals)")
        }
    }

    /// SIGKILL leaves the trace table behind; the next start removes it, and a normal run
    /// leaves every ruleset byte-identical.
    @Test func aKilledRunsTableIsRemovedAtTheNextStartAndANormalRunLeavesNothing() throws {
        try withLab("vk", scenario: "S3") { p throws in
            func rulesets() throws -> [String] {
                try ["ns0", "ns1", "host", "remote"].map { try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + $0, "nft", "list", "ruleset"]).stdout }
            }
            let before = try rulesets()
            let killed = try Subprocess.launch([Hoptrace.binary, "watch", "--lab", "--prefix", p, "--flows", "--explain", "--duration", "30", "--", "icmp"],
                                               stdin: .inherit)
            var tables = ""
            for _ in 0..<100 {
                tables = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", "\(p)host", "nft", "list", "tables"]).stdout
                if tables.contains("hoptrace_\(killed.pid)") { break }
                usleep(100_000)
            }
            #expect(tables.contains("inet hoptrace_\(killed.pid)"), "explain mode installs its table: \(tables)")
            killed.signal(SIGKILL)
            killed.wait()
            #expect(try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", "\(p)host", "nft", "list", "tables"]).stdout
                .contains("hoptrace_\(killed.pid)"), "SIGKILL leaves it")
            let next = try Hoptrace.run(["watch", "--lab", "--prefix", p, "--flows", "--explain", "--duration", "1", "--", "icmp"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(try rulesets() == before, "the stale table and the run's own are gone; nothing else changed")
        }
    }
}
