import HoptraceCore
import Testing

@Suite struct NFTRulesetTests {
    @Test func parsesTablesChainsRulesAndComments() throws {
        let rs = try NFTraceFixtures.ruleset("ruleset-reject")
        #expect(rs.tables.map(\.name) == ["filter", "nat", "hoptrace_99999"])
        #expect(rs.tables[2].family == .inet)
        #expect(rs.tables[2].comment == "hoptrace pid 99999")
        let fwd = try #require(rs.chain(family: .ip, table: "filter", name: "FORWARD"))
        #expect(fwd.hook == "forward")
        #expect(fwd.policy == "drop")
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 4) == "meta l4proto icmp counter reject")
        #expect(rs.ruleText(family: .ip, table: "nat", chain: "POSTROUTING", handle: 4)
                == "oifname != \"docker1\" ip saddr 172.18.0.0/24 counter masquerade")
        #expect(rs.chain(family: .ip, table: "nat", name: "DOCKER")?.rules.isEmpty == true)
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 99) == nil)
        #expect(rs.hasIptablesNFTTables)
    }

    @Test func skipsSetsMapsAndBracesInsideRules() {
        let text = """
        table inet user { # handle 7
        \tset blocked { # handle 2
        \t\ttype ipv4_addr
        \t\telements = { 10.0.0.1, 10.0.0.2 }
        \t}
        \tmap ports { # handle 3
        \t\ttype inet_service : verdict
        \t\telements = { 80 : accept,
        \t\t\t     443 : accept }
        \t}
        \tchain input { # handle 4
        \t\ttype filter hook input priority filter; policy accept;
        \t\ttcp dport { 22, 2222 } ct state new counter accept comment "ssh {x}" # handle 9
        \t\tip saddr @blocked drop # handle 10
        \t}
        }
        table ip6 "quoted" { # handle 8
        \tchain c { # handle 1
        \t\tcounter # handle 2
        \t}
        }
        """
        let rs = NFTRuleset(parsing: text)
        #expect(rs.tables.map(\.name) == ["user", "quoted"])
        #expect(rs.chains.map(\.name) == ["input", "c"])
        #expect(rs.ruleText(family: .inet, table: "user", chain: "input", handle: 9)
                == "tcp dport { 22, 2222 } ct state new counter accept comment \"ssh {x}\"")
        #expect(rs.ruleText(family: .inet, table: "user", chain: "input", handle: 10) == "ip saddr @blocked drop")
        #expect(rs.ruleText(family: .ip6, table: "quoted", chain: "c", handle: 2) == "counter")
        #expect(!rs.hasIptablesNFTTables)
    }

    @Test func garbageIsIgnored() {
        let rs = NFTRuleset(parsing: "}}}\n{{{ table\nchain x {\n# handle\n\u{0}\u{1}")
        #expect(rs.chains.isEmpty)
        #expect(NFTRuleset(parsing: "").tables.isEmpty)
    }
}

@Suite struct RulePathTests {
    @Test func forwardPolicyDropRendersExactly() throws {
        let paths = try NFTraceFixtures.paths("s3-forward-policy-drop", ruleset: "ruleset-s3")
        let p = try #require(paths.first)
        #expect(p.verdictText == "ip filter FORWARD policy drop")
        #expect(p.dropped)
        // hoptrace's own table is not part of the user's path.
        #expect(!p.steps.contains { $0.table.hasPrefix("hoptrace_") })
        #expect(p.lines == ["ip nat PREROUTING policy accept", "ip filter FORWARD policy drop"])
        #expect(p.firstKey?.src == .v4(IPv4Address("172.18.0.3")!))
    }

    @Test func rejectRuleShowsItsText() throws {
        let p = try #require(NFTraceFixtures.paths("s3-forward-reject", ruleset: "ruleset-reject").first)
        let final = try #require(p.final)
        #expect(final.isReject)
        #expect(final.action == "reject")
        #expect(p.verdictText == "ip filter FORWARD rule handle 4: meta l4proto icmp counter reject")
        #expect(p.conntrackID != nil)
    }

    @Test func acceptedPathEndsInAccept() throws {
        let paths = try NFTraceFixtures.paths("s2-accept", ruleset: "ruleset-s2")
        #expect(!paths.isEmpty)
        #expect(paths.allSatisfy { !$0.dropped })
        #expect(paths.allSatisfy { $0.final?.verdict == .accept })
        // The request and its reply are two packets.
        #expect(paths.count == 2)
    }

    @Test func replyDroppedInForward() throws {
        let paths = try NFTraceFixtures.paths("s4-reply-policy-drop", ruleset: "ruleset-s4")
        let dropped = paths.filter(\.dropped)
        #expect(dropped.count == 1)
        #expect(dropped[0].verdictText == "ip filter FORWARD policy drop")
        #expect(dropped[0].conntrackDirection == 1)
        // The request went through the outbound rule.
        let request = try #require(paths.first { !$0.dropped })
        #expect(request.steps.contains { $0.description == "ip filter FORWARD rule handle 5: iifname \"docker1\" oifname != \"docker1\" counter accept" })
    }

    @Test func unknownRuleTextAndJumps() {
        let step = RuleStep(family: .ip, table: "filter", chain: "FORWARD", kind: .rule, handle: 7, verdict: .drop)
        #expect("\(step)" == "ip filter FORWARD rule handle 7 (verdict drop)")
        let jump = RuleStep(family: .ip, table: "filter", chain: "FORWARD", kind: .rule, handle: 3,
                            ruleText: "counter jump DOCKER-USER", verdict: .jump("DOCKER-USER"))
        #expect("\(jump)" == "ip filter FORWARD rule handle 3: counter jump DOCKER-USER")
        let ret = RuleStep(family: .ip, table: "filter", chain: "DOCKER-USER", kind: .return)
        #expect("\(ret)" == "ip filter DOCKER-USER return")
        let cont = RuleStep(family: .inet, table: "t", chain: "c", kind: .rule, handle: 2, ruleText: "meta mark set 1", verdict: .continue)
        let path = RulePath(steps: [jump, ret, cont])
        #expect(path.final == nil)
        #expect(path.lines.last == "inet t c rule handle 2: meta mark set 1 (verdict continue) → continue")
    }

    @Test func builderIsBounded() throws {
        var b = RulePathBuilder(capacity: 3)
        for i in 0..<10 {
            b.add(TraceEvent(id: UInt32(i), kind: .policy, family: .ip, table: "filter", chain: "FORWARD", verdict: .accept), ruleset: nil)
        }
        #expect(b.paths.count == 3)
        #expect(b.paths.map { $0.traceIDs } == [[7], [8], [9]])
        // A late event for a forgotten id opens a new path rather than touching another.
        b.add(TraceEvent(id: 0, kind: .policy, family: .ip, table: "filter", chain: "FORWARD", verdict: .drop), ruleset: nil)
        #expect(b.paths.last?.traceIDs == [0])
        #expect(b.paths.count == 3)
    }

    @Test func needsRulesetWhenAHandleIsUnknown() throws {
        let rs = try NFTraceFixtures.ruleset("ruleset-s3")
        var e = TraceEvent(id: 1, kind: .rule, family: .ip, table: "filter", chain: "FORWARD", ruleHandle: 4, verdict: .drop)
        #expect(RulePathBuilder.needsRuleset(e, rs))
        #expect(!RulePathBuilder.needsRuleset(e, try NFTraceFixtures.ruleset("ruleset-reject")))
        e.table = "hoptrace_1"
        #expect(!RulePathBuilder.needsRuleset(e, rs))
    }
}

@Suite struct TraceTableTests {
    @Test func selectorsForAnEchoFlowCoverEveryForm() throws {
        let orig = FlowKey(proto: 1, src: .v4(IPv4Address("172.18.0.3")!), dst: .v4(IPv4Address("172.31.45.174")!), sport: 27, dport: 27)
        let reply = FlowKey(proto: 1, src: .v4(IPv4Address("172.31.45.174")!), dst: .v4(IPv4Address("172.31.39.53")!), sport: 27, dport: 27)
        let s = TraceSelector.forFlow(orig: orig, reply: reply, echo: true).map(\.expression)
        #expect(s == [
            "ip saddr 172.18.0.3 ip daddr 172.31.45.174 icmp type echo-request icmp id 27",
            "ip saddr 172.31.39.53 ip daddr 172.31.45.174 icmp type echo-request icmp id 27",
            "ip saddr 172.31.45.174 ip daddr 172.31.39.53 icmp type echo-reply icmp id 27",
            "ip saddr 172.31.45.174 ip daddr 172.18.0.3 icmp type echo-reply icmp id 27",
        ])
        let tcp = FlowKey(proto: 6, src: .v4(IPv4Address("10.0.0.1")!), dst: .v4(IPv4Address("10.0.0.2")!), sport: 40000, dport: 80)
        #expect(TraceSelector.forFlow(orig: tcp, reply: nil, echo: false).map(\.expression) == [
            "ip saddr 10.0.0.1 ip daddr 10.0.0.2 tcp sport 40000 tcp dport 80",
            "ip saddr 10.0.0.2 ip daddr 10.0.0.1 tcp sport 80 tcp dport 40000",
        ])
    }

    @Test func selectorsCannotEscapeTheirRule() {
        #expect(throws: TraceSelectorError.empty) { try TraceSelector(expression: "  ") }
        #expect(throws: TraceSelectorError.forbidden(";")) { try TraceSelector(expression: "ip saddr 1.2.3.4; flush ruleset") }
        #expect(throws: TraceSelectorError.forbidden("\n")) { try TraceSelector(expression: "ip saddr 1.2.3.4\nflush ruleset") }
        #expect(throws: TraceSelectorError.forbidden("{")) { try TraceSelector(expression: "ip saddr { 1.2.3.4") }
        #expect(throws: TraceSelectorError.notAMatch("ip saddr 1.2.3.4 drop")) { try TraceSelector(expression: "ip saddr 1.2.3.4 drop") }
        #expect((try? TraceSelector(expression: "tcp dport { 80, 443 }")) != nil)
    }

    @Test func installScriptAndStaleTables() throws {
        let sel = try TraceSelector(expression: "ip saddr 172.18.0.3 icmp type echo-request")
        let script = TraceTable.installScript(pid: 4242, selectors: [sel])
        #expect(script.contains("table inet hoptrace_4242\ndelete table inet hoptrace_4242\n"))
        #expect(script.contains("type filter hook prerouting priority -301; policy accept;"))
        #expect(script.contains("type filter hook output priority -301; policy accept;"))
        #expect(script.contains("\t\tip saddr 172.18.0.3 icmp type echo-request meta nftrace set 1\n"))
        #expect(script.contains("comment \"hoptrace pid 4242"))
        #expect(TraceTable.removeScript(pid: 4242) == "table inet hoptrace_4242\ndelete table inet hoptrace_4242\n")
        #expect(TraceTable.pid(ofTable: "hoptrace_17") == 17)
        #expect(TraceTable.pid(ofTable: "hoptrace_") == nil)
        #expect(TraceTable.pid(ofTable: "hoptrace_1x") == nil)
        #expect(TraceTable.pid(ofTable: "other") == nil)
        let rs = NFTRuleset(parsing: """
        table inet hoptrace_100 { # handle 1
        }
        table inet hoptrace_200 { # handle 2
        }
        table ip hoptrace_300 { # handle 3
        }
        table inet other { # handle 4
        }
        table inet hoptrace_400 { # handle 5
        }
        """)
        // Only `inet hoptrace_<digits>` is a trace table; which are leftovers: StaleTraceTableTests.
        #expect(TraceTable.traceTables(in: rs).map(\.pid) == [100, 200, 400])
    }
}
