import Foundation
import Testing

/// The correlator on the live lab: each scenario's flow, as `watch --flows` reports it.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct FlowIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    /// The flows' last lines (the `final` one of each flow), as JSON objects.
    func finalFlows(_ prefix: String, during action: () throws -> Void) throws -> [[String: Any]] {
        let lines = try watch(["--lab", "--prefix", prefix, "--flows", "--stats-interval", "60", "--", "icmp", "or", "tcp", "port", "80"],
                              during: action)
        var last: [Int: [String: Any]] = [:]
        for line in lines where line.contains(#""type":"flow""#) {
            let o = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            if let id = o["flow"] as? Int { last[id] = o }
        }
        return last.keys.sorted().compactMap { last[$0] }
    }

    func verdict(_ f: [String: Any]) -> [String: Any] { f["verdict"] as? [String: Any] ?? [:] }
    func nat(_ f: [String: Any]) -> [[String: Any]] { f["nat"] as? [[String: Any]] ?? [] }
    func hops(_ f: [String: Any], leg: String) -> [String] {
        (f["hops"] as? [[String: Any]] ?? []).filter { $0["leg"] as? String == leg }
            .map { "\($0["netns"] as? String ?? "-"):\($0["iface"] as? String ?? "?")" }
    }

    @Test func s2OneIcmpFlowWithTheSnatBetweenDocker1AndEnX0Replied() throws {
        try withLab("fs", scenario: "S2") { p throws in
            let flows = try finalFlows(p) { () throws in #expect(try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "2"]).status == 0) }
            let icmp = flows.filter { $0["proto"] as? String == "icmp" }
            #expect(icmp.count == 1, "one flow for the whole ping: \(flows)")
            let f = try #require(icmp.first)
            #expect(verdict(f)["state"] as? String == "replied", "\(f)")
            #expect(nat(f).contains { $0["kind"] as? String == "snat" && $0["from"] as? String == "172.18.0.3"
                && $0["to"] as? String == "172.31.39.53" && $0["between"] as? [String] == ["\(p)host:docker1", "\(p)host:enX0"] }, "\(nat(f))")
            let path = ["\(p)ns1:eth0", "\(p)host:veth1", "\(p)host:docker1", "\(p)host:enX0", "\(p)remote:enX0"]
            #expect(hops(f, leg: "request") == path)
            #expect(hops(f, leg: "reply") == path.reversed())
            let orig = f["orig"] as? [String: Any], reply = f["reply"] as? [String: Any]
            #expect(orig?["src"] as? String == "172.18.0.3" && reply?["dst"] as? String == "172.31.39.53")
        }
    }

    @Test func s1UnrepliedWithTheUntranslatedPrivateSourceHint() throws {
        try withLab("f1", scenario: "S1") { p throws in
            let flows = try finalFlows(p) { () throws in _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "1"]) }
            let f = try #require(flows.first { $0["proto"] as? String == "icmp" }, "\(flows)")
            #expect(verdict(f)["state"] as? String == "unreplied", "\(f)")
            #expect((verdict(f)["reason"] as? String)?.contains("untranslated private source 172.18.0.3") == true)
            #expect((verdict(f)["hint"] as? String)?.contains("add MASQUERADE for 172.18.0.0/24 on enX0") == true)
            #expect(verdict(f)["fix"] as? String == "ip netns exec \(p)host iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE")
        }
    }

    @Test func s3VanishedAfterDocker1BeforeEnX0() throws {
        try withLab("f3", scenario: "S3") { p throws in
            let flows = try finalFlows(p) { () throws in _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "1"]) }
            let f = try #require(flows.first { $0["proto"] as? String == "icmp" }, "\(flows)")
            #expect(verdict(f)["state"] as? String == "vanished")
            #expect(verdict(f)["reason"] as? String == "vanished after \(p)host:docker1, before \(p)host:enX0", "\(verdict(f))")
            #expect(verdict(f)["at"] as? String == "\(p)host:docker1")
        }
    }

    @Test func s4TheReplyVanishedAfterEnX0BeforeDocker1() throws {
        try withLab("f4", scenario: "S4") { p throws in
            let flows = try finalFlows(p) { () throws in _ = try Hoptrace.run(["lab", "ping", "--prefix", p, "--count", "1"]) }
            let f = try #require(flows.first { $0["proto"] as? String == "icmp" }, "\(flows)")
            #expect(verdict(f)["state"] as? String == "vanished")
            #expect((verdict(f)["reason"] as? String)?.contains("after \(p)host:enX0, before \(p)host:docker1") == true, "\(verdict(f))")
            #expect(nat(f).contains { $0["kind"] as? String == "snat" && $0["to"] as? String == "172.31.39.53" })
        }
    }

    @Test func s7DnatFromTheUplinkAddressToTheContainer() throws {
        try withLab("f7", scenario: "S7") { p throws in
            let flows = try finalFlows(p) { () throws in #expect(try Hoptrace.run(["lab", "connect", "--prefix", p, "--port", "80"]).status == 0) }
            let tcp = flows.filter { $0["proto"] as? String == "tcp" }
            #expect(tcp.count == 1, "one flow for the connection: \(flows)")
            let f = try #require(tcp.first)
            #expect(nat(f).contains { $0["kind"] as? String == "dnat" && $0["from"] as? String == "172.31.39.53"
                && $0["to"] as? String == "172.18.0.3" && $0["between"] as? [String] == ["\(p)host:enX0", "\(p)host:docker1"] }, "\(nat(f))")
            let orig = f["orig"] as? [String: Any], reply = f["reply"] as? [String: Any]
            #expect(orig?["dst"] as? String == "172.31.39.53" && orig?["dport"] as? Int == 80)
            #expect(reply?["src"] as? String == "172.18.0.3" && reply?["sport"] as? Int == 80)
            #expect(verdict(f)["state"] as? String == "replied")
            #expect((f["conntrack"] as? [String: Any])?["state"] != nil)
        }
    }
}
