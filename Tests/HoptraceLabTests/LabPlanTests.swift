import Testing
@testable import HoptraceLab

@Suite struct LabPlanTests {
    let t = try! LabTopology(prefix: "ht")

    @Test func namespacesCarryThePrefix() throws {
        #expect(t.namespaces == ["hthost", "htns0", "htns1", "htremote"])
        #expect(try t.namespace(named: "ns1") == "htns1")
        #expect(try t.namespace(named: "htremote") == "htremote")
        #expect(throws: LabError.self) { try t.namespace(named: "elsewhere") }
    }

    @Test(arguments: ["", "HT", "a b", "x/y", String(repeating: "a", count: 17)])
    func badPrefixesAreRefused(_ prefix: String) {
        #expect(throws: LabError.invalidPrefix(prefix)) { try LabTopology(prefix: prefix) }
    }

    /// Every build command names a lab namespace: nothing runs in the machine's own.
    @Test func buildNeverTouchesTheRootNamespace() {
        for action in LabPlan.build(t) + LabPlan.resetRules(t) + LabPlan.apply(LabScenario.s7.settings, t) {
            let argvs: [[String]]
            switch action {
            case .run(let a): argvs = [a]
            case .unless(let c, let m): argvs = [c, m]
            case .rule(_, _, let ns): argvs = [["ip", "-n", ns]]
            }
            for argv in argvs {
                #expect(argv[0] == "ip")
                let ns = argv[1] == "-n" ? argv[2] : (argv[1] == "netns" && argv[2] == "exec" ? argv[3] : "")
                #expect(t.namespaces.contains(ns), "runs outside the lab: \(argv)")
            }
        }
    }

    @Test func buildMakesTheArticlesAddresses() {
        let commands = LabPlan.build(t).compactMap { if case .run(let a) = $0 { a.joined(separator: " ") } else { nil } }
        #expect(commands.contains("ip -n hthost addr replace 172.18.0.1/24 dev docker1"))
        #expect(commands.contains("ip -n htns1 addr replace 172.18.0.3/24 dev eth0"))
        #expect(commands.contains("ip -n htns0 addr replace 172.18.0.2/24 dev eth0"))
        #expect(commands.contains("ip -n hthost addr replace 172.31.39.53/20 dev enX0"))
        #expect(commands.contains("ip -n htremote addr replace 172.31.45.174/20 dev enX0"))
        #expect(commands.contains("ip -n hthost link set veth1 master docker1 up"))
    }

    @Test func s1HasNoMasqueradeAndS2Has() {
        #expect(LabPlan.apply(LabScenario.s1.settings, t).contains(.rule(LabRules.masquerade, present: false, netns: "hthost")))
        #expect(LabPlan.apply(LabScenario.s2.settings, t).contains(.rule(LabRules.masquerade, present: true, netns: "hthost")))
        #expect(LabRules.masquerade.argv("-A") ==
            ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "172.18.0.0/24", "!", "-o", "docker1", "-j", "MASQUERADE"])
    }

    @Test func s3DropsForwardAndS4LacksOnlyTheReturnRule() {
        let drop = LabAction.run(["ip", "netns", "exec", "hthost", "iptables", "-w", "-P", "FORWARD", "DROP"])
        #expect(LabPlan.apply(LabScenario.s3.settings, t).contains(drop))
        let s4 = LabPlan.apply(LabScenario.s4.settings, t)
        #expect(s4.contains(drop))
        #expect(s4.contains(.rule(LabRules.outbound, present: true, netns: "hthost")))
        #expect(s4.contains(.rule(LabRules.returnPath, present: false, netns: "hthost")))
    }

    @Test func s6RemovesOnlyNs1sDefaultRoute() {
        #expect(LabPlan.apply(LabScenario.s6.settings, t).contains(.run(["ip", "-n", "htns1", "route", "flush", "exact", "0.0.0.0/0"])))
    }

    @Test func s7PublishesPort80WithDockersRules() {
        let s7 = LabPlan.apply(LabScenario.s7.settings, t)
        #expect(s7.contains(.rule(LabRules.dockerJump, present: true, netns: "hthost")))
        #expect(s7.contains(.rule(LabRules.publishDNAT(port: 80), present: true, netns: "hthost")))
        #expect(LabRules.publishDNAT(port: 80).spec.suffix(2) == ["--to-destination", "172.18.0.3:80"])
    }

    @Test func setTakesEachKnobWithItsValues() throws {
        #expect(try LabToggle(knob: .nat, value: .off) == .nat(false))
        #expect(try LabToggle(knob: .forward, value: .drop) == .forward(.drop))
        #expect(try LabToggle(knob: .forward, value: .accept) == .forward(.accept))
        #expect(try LabToggle(knob: .returnRule, value: .on) == .returnRule(true))
        #expect(try LabToggle(knob: .bridgeFilter, value: .off) == .bridgeFilter(false))
        #expect(try LabToggle(knob: .defaultRoute, value: .off) == .defaultRoute(false))
        for knob in LabKnob.allCases where knob != .forward { _ = try LabToggle(knob: knob, value: .on) }
        #expect(throws: LabError.invalidSetting("'nat' takes on or off, not 'drop'")) { try LabToggle(knob: .nat, value: .drop) }
        #expect(throws: LabError.invalidSetting("'forward' takes accept or drop, not 'on'")) {
            try LabToggle(knob: .forward, value: .on)
        }
    }

    /// The spellings `lab set` has always taken: knob names as written, values in any case
    /// with 1/yes/true and 0/no/false.
    @Test func knobsAndValuesKeepTheirSpellings() {
        #expect(LabKnob.allCases.map(\.rawValue) == [
            "nat", "forward", "outbound-rule", "return-rule", "bridge-rule", "bridge-filter", "default-route", "ip-forward",
        ])
        #expect(LabKnob(rawValue: "warp") == nil)
        #expect(LabKnobValue(text: "DROP") == .drop)
        #expect(LabKnobValue(text: "Accept") == .accept)
        for on in ["on", "ON", "1", "yes", "true"] { #expect(LabKnobValue(text: on) == .on) }
        for off in ["off", "0", "no", "False"] { #expect(LabKnobValue(text: off) == .off) }
        #expect(LabKnobValue(text: "maybe") == nil)
        #expect(LabKnobValue(text: "sideways") == nil)
    }

    @Test func scenariosParseCaseInsensitively() throws {
        #expect(try LabScenario(parsing: "s3") == .s3)
        #expect(throws: LabError.unknownScenario("S9")) { try LabScenario(parsing: "S9") }
    }
}
