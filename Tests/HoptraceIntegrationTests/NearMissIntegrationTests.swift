import Foundation
import HoptraceSystem
import Testing

/// Issue 18 on the live lab: a rule written almost right (the wrong interface, port, subnet or
/// DNAT port) and a host route that sends the remote elsewhere. Each verdict names the rule or
/// route and the field that differs; its fix corrects it in place, and after the fix the same
/// traffic goes through.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct NearMissIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    func sh(_ ns: String, _ command: String) throws {
        let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", ns, "/bin/sh", "-c", command])
        #expect(r.status == 0, "\(command): \(r.stderr)")
    }

    /// The final line of the flow of `proto` with a problem verdict.
    func failedFlow(_ p: String, proto: String, during action: () throws -> Void) throws -> [String: Any] {
        let lines = try watch(["--lab", "--prefix", p, "--flows", "--", proto], during: action)
        return try #require(try finalFlowObjects(lines).last {
            $0["proto"] as? String == proto && ["vanished", "unreplied", "icmp-error"].contains(($0["verdict"] as? [String: Any])?["state"] as? String ?? "")
        }, "\(lines)")
    }

    /// Runs the fix as a user pastes it (it is shell-quoted and enters its namespace).
    func apply(_ fix: String) throws {
        let r = try Hoptrace.exec(["/bin/sh", "-c", fix])
        #expect(r.status == 0, "\(fix): \(r.stderr)")
    }

    func pingSucceeds(_ p: String) throws -> Bool {
        try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", p + "ns1", "ping", "-n", "-c", "1", "-W", "2", "172.31.45.174"]).status == 0
    }

    /// A TCP connection from `ns` to `address:port` within 2 s.
    func connects(_ ns: String, _ address: String, _ port: Int) throws -> Bool {
        let code = "import socket,sys\ns=socket.socket();s.settimeout(2)\ntry:\n s.connect(('\(address)',\(port)));sys.exit(0)\nexcept Exception:\n sys.exit(1)"
        return try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", ns, "python3", "-c", code]).status == 0
    }

    /// A TCP server in `ns` that accepts and closes every connection, until killed.
    func listener(_ ns: String, port: Int) throws -> Child {
        try Subprocess.launch(["/usr/sbin/ip", "netns", "exec", ns, "python3", "-c",
                               "import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',\(port)));s.listen(8)\nwhile True: s.accept()[0].close()"],
                              stdin: .inherit)
    }

    /// The verdict's near miss is `chain`'s rule with `field` differing, `rule` against `packet`;
    /// returns the verdict's fix.
    func expectNearMiss(_ f: [String: Any], chain: String, field: String, rule: String, packet: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let v = f["verdict"] as? [String: Any] ?? [:]
        let m = v["near_miss"] as? [String: Any] ?? [:]
        #expect(m["chain"] as? String == chain && m["field"] as? String == field, "\(v)", sourceLocation: sourceLocation)
        #expect(m["rule_value"] as? String == rule && m["packet_value"] as? String == packet, "\(v)", sourceLocation: sourceLocation)
        return try #require(v["fix"] as? String, "\(v)", sourceLocation: sourceLocation)
    }

    @Test func aMasqueradeForTheWrongOutputInterface() throws {
        try withLab("na", scenario: "S1") { p throws in
            try sh(p + "host", "iptables -t nat -A POSTROUTING -s 172.18.0.0/24 -o eth0 -j MASQUERADE")
            let f = try failedFlow(p, proto: "icmp") { _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "2"]) }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let fix = try expectNearMiss(f, chain: "POSTROUTING", field: "oifname", rule: "eth0", packet: "enX0")
            #expect((v["near_miss"] as? [String: Any])?["table"] as? String == "ip nat", "\(v)")
            #expect((v["why"] as? String ?? "").contains("is for oifname eth0, but the packet's oifname is enX0"), "\(v)")
            #expect(fix == "ip netns exec \(p)host iptables -t nat -R POSTROUTING 1 -s 172.18.0.0/24 -o enX0 -j MASQUERADE", "corrects the rule, adds none: \(v)")
            try apply(fix)
            #expect(try pingSucceeds(p), "after the fix the ping goes through")
        }
    }

    @Test func aForwardAcceptForTheWrongPort() throws {
        try withLab("nb", scenario: "S3") { p throws in
            try sh(p + "host", "iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT && iptables -A FORWARD -p tcp --dport 8080 -j ACCEPT")
            let server = try listener(p + "remote", port: 80)
            defer { kill(server.pid, SIGTERM); server.wait() }
            let f = try failedFlow(p, proto: "tcp") { _ = try connects(p + "ns1", "172.31.45.174", 80) }
            let fix = try expectNearMiss(f, chain: "FORWARD", field: "tcp dport", rule: "8080", packet: "80")
            #expect(fix == "ip netns exec \(p)host iptables -t filter -R FORWARD 2 -p tcp -m tcp --dport 80 -j ACCEPT")
            try apply(fix)
            #expect(try connects(p + "ns1", "172.31.45.174", 80), "after the fix the connection is made")
        }
    }

    @Test func aDNATForTheWrongDestinationPort() throws {
        try withLab("nc", scenario: "S7") { p throws in
            // Docker's DNAT written for 8000, the client connects to 80; INPUT drops what is not forwarded.
            try sh(p + "host", "iptables -t nat -R DOCKER 1 ! -i docker1 -p tcp --dport 8000 -j DNAT --to-destination 172.18.0.3:80 && iptables -P INPUT DROP")
            let f = try failedFlow(p, proto: "tcp") { _ = try connects(p + "remote", "172.31.39.53", 80) }
            let fix = try expectNearMiss(f, chain: "DOCKER", field: "tcp dport", rule: "8000", packet: "80")
            #expect(fix.hasPrefix("ip netns exec \(p)host iptables -t nat -R DOCKER 1 ") && fix.contains("--dport 80 "), "\(fix)")
            try apply(fix)
            #expect(try connects(p + "remote", "172.31.39.53", 80), "after the fix the connection reaches the server in ns1")
        }
    }

    @Test func aForwardAcceptLimitedToTheWrongSourceSubnet() throws {
        try withLab("nd", scenario: "S3") { p throws in
            try sh(p + "host", "iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT && iptables -A FORWARD -s 172.18.1.0/24 -o enX0 -j ACCEPT")
            let f = try failedFlow(p, proto: "icmp") { _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "2"]) }
            let fix = try expectNearMiss(f, chain: "FORWARD", field: "ip saddr", rule: "172.18.1.0/24", packet: "172.18.0.3")
            #expect(fix == "ip netns exec \(p)host iptables -t filter -R FORWARD 2 -s 172.18.0.0/24 -o enX0 -j ACCEPT")
            try apply(fix)
            #expect(try pingSucceeds(p))
        }
    }

    /// A rule nft wrote (not iptables): corrected with `nft replace rule … handle N`, which keeps its place.
    @Test func anNftAcceptForTheWrongPortIsReplacedByHandle() throws {
        try withLab("nf", scenario: "S2") { p throws in
            try sh(p + "host", """
                nft add table inet gate && nft add chain inet gate forward_gate '{ type filter hook forward priority 10; policy drop; }' \
                && nft add rule inet gate forward_gate ct state established,related accept \
                && nft add rule inet gate forward_gate tcp dport 8443 accept
                """)
            let server = try listener(p + "remote", port: 443)
            defer { kill(server.pid, SIGTERM); server.wait() }
            let f = try failedFlow(p, proto: "tcp") { _ = try connects(p + "ns1", "172.31.45.174", 443) }
            let fix = try expectNearMiss(f, chain: "forward_gate", field: "tcp dport", rule: "8443", packet: "443")
            #expect(fix.hasPrefix("ip netns exec \(p)host nft replace rule inet gate forward_gate handle ") && fix.hasSuffix(" 'tcp dport 443 accept'"), "\(fix)")
            try apply(fix)
            #expect(try connects(p + "ns1", "172.31.45.174", 443), "after the fix the connection is made")
        }
    }

    @Test func aHostRouteThatSendsTheRemoteOutAnotherInterface() throws {
        try withLab("ne", scenario: "S2") { p throws in
            try sh(p + "host", "ip link add enX2 type veth peer name enX2p && ip addr add 10.77.0.1/24 dev enX2 && ip link set enX2p up && ip link set enX2 up && ip route add 172.31.45.174/32 via 10.77.0.2 dev enX2")
            let f = try failedFlow(p, proto: "icmp") { _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "2"]) }
            let v = f["verdict"] as? [String: Any] ?? [:]
            let why = v["why"] as? String ?? ""
            #expect(why.hasPrefix("routed out enX2 (not watched) in \(p)host by 172.31.45.174/32 via 10.77.0.2, a more specific route than 172.31.32.0/20 via enX0"), "\(v)")
            #expect(why.contains("watch it too: -i \(p)host:enX2"), "\(why)")
            let fix = try #require(v["fix"] as? String, "\(v)")
            #expect(fix == "ip -n \(p)host route del 172.31.45.174/32 via 10.77.0.2 dev enX2", "\(v)")
            try apply(fix)
            #expect(try pingSucceeds(p))
        }
    }
}
