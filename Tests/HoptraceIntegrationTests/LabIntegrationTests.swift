import Foundation
import Testing

/// The lab on real namespaces, driven through the real binary. Serialized: two
/// cores, and each test builds a whole topology.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct LabIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    @Test func upTwiceStatusDownLeavesNothingBehind() throws {
        let prefix = "hti\(getpid() % 10000)rt"
        defer { _ = try? Hoptrace.run(["lab", "down", "--prefix", prefix]) }
        let names = ["host", "ns0", "ns1", "remote"].map { prefix + $0 }

        #expect(try Hoptrace.run(["lab", "up", "--prefix", prefix]).status == 0)
        let again = try Hoptrace.run(["lab", "up", "--prefix", prefix])
        #expect(again.status == 0, "second up failed: \(again.stderr)")
        for ns in names { #expect(FileManager.default.fileExists(atPath: "/run/netns/\(ns)")) }

        let status = try Hoptrace.run(["lab", "status", "--prefix", prefix])
        #expect(status.status == 0)
        #expect(status.stdout.contains("link veth1 veth UP peer eth0 in \(prefix)ns1 master docker1"))
        #expect(status.stdout.contains("link enX0 veth UP peer enX0 in \(prefix)remote 172.31.39.53/20"))
        #expect(status.stdout.contains("rule nat: -A POSTROUTING -s 172.18.0.0/24 ! -o docker1 -j MASQUERADE"))
        #expect(status.stdout.contains("sysctl net.ipv4.ip_forward = 1"))
        #expect(status.stdout.contains("route default via 172.18.0.1 dev eth0"))

        #expect(try Hoptrace.run(["lab", "down", "--prefix", prefix]).status == 0)
        for ns in names { #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(ns)"), "\(ns) left behind") }
        let after = try Hoptrace.run(["lab", "status", "--prefix", prefix])
        #expect(after.status != 0 && after.stderr.contains("is not up"))
    }

    @Test func upRefusesANamespaceItDidNotMake() throws {
        let prefix = "hti\(getpid() % 10000)fg"
        let foreign = prefix + "ns1"
        _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "add", foreign])
        defer {
            _ = try? Hoptrace.run(["lab", "down", "--prefix", prefix])
            _ = try? Hoptrace.exec(["/usr/sbin/ip", "netns", "del", foreign])
        }
        let up = try Hoptrace.run(["lab", "up", "--prefix", prefix])
        #expect(up.status != 0)
        #expect(up.stderr.contains("'\(foreign)' exists but was not made by hoptrace lab"))
        _ = try Hoptrace.run(["lab", "down", "--prefix", prefix])
        #expect(FileManager.default.fileExists(atPath: "/run/netns/\(foreign)"), "down removed a namespace it did not make")
    }

    @Test func s2PingSucceedsThroughMasquerade() throws {
        try withLab("s2", scenario: "S2") { prefix throws in
            let ping = try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "2"])
            #expect(ping.status == 0, "S2 ping failed: \(ping.stdout) \(ping.stderr)")
            #expect(ping.stdout.contains("2 received"))
        }
    }

    @Test(arguments: ["S1", "S3", "S4"])
    func pingFailsAsTheArticlesSay(_ scenario: String) throws {
        try withLab(scenario.lowercased(), scenario: scenario) { prefix throws in
            let ping = try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"])
            #expect(ping.status != 0, "\(scenario) ping should fail")
            #expect(ping.stdout.contains("0 received"))
        }
    }

    @Test func s4PassesOnceTheReturnRuleIsAdded() throws {
        try withLab("rr", scenario: "S4") { prefix throws in
            #expect(try Hoptrace.run(["lab", "set", "--prefix", prefix, "return-rule", "on"]).status == 0)
            #expect(try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"]).status == 0)
        }
    }

    @Test func s5BridgeFilterDecidesSameBridgeTraffic() throws {
        try withLab("s5", scenario: "S5") { prefix throws in
            let toNs0 = ["lab", "ping", "--prefix", prefix, "--to", "172.18.0.2", "--count", "1"]
            #expect(try Hoptrace.run(toNs0).status != 0, "bridged ping passed a FORWARD DROP with bridge-nf-call-iptables=1")
            #expect(try Hoptrace.run(["lab", "set", "--prefix", prefix, "bridge-filter", "off"]).status == 0)
            #expect(try Hoptrace.run(toNs0).status == 0)
        }
    }

    @Test func s6HasNoRouteOut() throws {
        try withLab("s6", scenario: "S6") { prefix throws in
            let ping = try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"])
            #expect(ping.status != 0)
            #expect(ping.stderr.contains("Network is unreachable"))
        }
    }

    @Test func s7PublishedPortAnswersFromNs1() throws {
        var labPrefix = ""
        defer {
            // `lab down` must also stop the servers it started in ns1.
            // pgrep exits 1 for "no such process" (2 would be a usage error, 0 a survivor).
            let left = try? Hoptrace.exec(["/usr/bin/pgrep", "-f", "--", "--pid-file /run/hoptrace/lab/\(labPrefix)-serve-"])
            #expect(left?.status == 1, "servers survived lab down: \(left?.stdout ?? "") \(left?.stderr ?? "")")
        }
        try withLab("s7", scenario: "S7") { prefix throws in
            labPrefix = prefix
            let c = try Hoptrace.run(["lab", "connect", "--prefix", prefix, "--port", "80"])
            #expect(c.status == 0, "connect failed: \(c.stderr)")
            #expect(c.stdout == "hoptrace lab: hello from ns1 tcp/80\n")
            #expect(try Hoptrace.run(["lab", "publish", "--prefix", prefix, "8080"]).status == 0)
            #expect(try Hoptrace.run(["lab", "connect", "--prefix", prefix, "--port", "8080"]).status == 0)
            #expect(try Hoptrace.run(["lab", "publish", "--prefix", prefix, "8080", "--off"]).status == 0)
            #expect(try Hoptrace.run(["lab", "connect", "--prefix", prefix, "--port", "8080"]).status != 0)
        }
    }

    @Test func failingCommandsAreReportedWithTheirCommandLine() throws {
        try withLab("er", scenario: "S2") { prefix throws in
            let r = try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--from", "nowhere"])
            #expect(r.status != 0 && r.stderr.contains("unknown lab namespace 'nowhere'"))
            // Refused while parsing: a value no knob takes, with the four that exist...
            let bad = try Hoptrace.run(["lab", "set", "--prefix", prefix, "forward", "sideways"])
            #expect(bad.status != 0 && bad.stderr.contains("The value 'sideways' is invalid for '<value>'")
                && bad.stderr.contains("'accept' or 'drop'"))
            // ...and in validate(): a value this knob does not take.
            let wrong = try Hoptrace.run(["lab", "set", "--prefix", prefix, "forward", "on"])
            #expect(wrong.status != 0 && wrong.stderr.contains("'forward' takes accept or drop, not 'on'"))
        }
    }

    @Test func doctorPrintsEveryCheck() throws {
        let r = try Hoptrace.run(["doctor"])
        #expect(r.status == 0, "doctor failed as root: \(r.stdout)")
        for name in ["privileges", "libpcap", "conntrack netlink", "nf_conntrack_events", "iptables backend",
                     "nftables tracing", "drop counters", "drop reasons"] {
            #expect(r.stdout.contains(name), "doctor did not check \(name)")
        }
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("OK   libpcap ") && $0.contains("libpcap version") })
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("OK   drop counters ") && $0.contains("/proc/net/snmp, /proc/net/netstat") })
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("OK   drop reasons ") && $0.contains("skb:kfree_skb reasons from ") },
                "root on a kernel with tracefs: watch will have them: \(r.stdout)")
    }

    /// Runs last in this serialized suite: the whole lab cycle must leave the
    /// machine's own namespace exactly as it was.
    @Test func zzRootNamespaceIsUntouchedByAWholeLabCycle() throws {
        let before = try RootNamespace.snapshot()
        for scenario in ["S1", "S3", "S5", "S6", "S7"] {
            try withLab("rn", scenario: scenario) { prefix throws in
                _ = try Hoptrace.run(["lab", "ping", "--prefix", prefix, "--count", "1"])
                _ = try Hoptrace.run(["lab", "status", "--prefix", prefix])
            }
        }
        _ = try Hoptrace.run(["doctor"])
        let after = try RootNamespace.snapshot()
        #expect(before == after)
    }
}
