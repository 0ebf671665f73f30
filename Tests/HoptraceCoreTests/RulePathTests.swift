import Foundation
import HoptraceCore
import Testing

/// The ruleset as nft's JSON has it (real dumps, Tests/Fixtures/nftrace: capture-rulesets.sh).
@Suite struct NFTRulesetTests {
    static func json(_ text: String) throws -> NFTRuleset { try NFTRuleset(json: Data(text.utf8)) }

    @Test func tablesChainsAndRulesByHandle() throws {
        let rs = try NFTraceFixtures.structure("ruleset-reject")
        #expect(rs.tables.map(\.name) == ["filter", "nat", "hoptrace_99999"])
        #expect(rs.tables.map(\.family) == [.ip, .ip, .inet])
        #expect(rs.tables.map(\.handle) == [1, 2, 3])
        // nft 1.0.6 leaves table comments out of its JSON (tableCommentsFromJSONOrTheListing).
        #expect(rs.tables[2].comment == nil)
        let fwd = try #require(rs.chain(family: .ip, table: "filter", name: "FORWARD"))
        #expect(fwd.type == "filter")
        #expect(fwd.hook == "forward")
        #expect(fwd.policy == "drop")
        #expect(fwd.priority == 0)
        #expect(fwd.rules.map(\.handle) == [4])
        let post = try #require(rs.chain(family: .ip, table: "nat", name: "POSTROUTING"))
        #expect(post.hook == "postrouting")
        #expect(post.policy == "accept")
        #expect(post.priority == 100)
        #expect(post.rules.map(\.handle) == [4])
        #expect(rs.chain(family: .ip, table: "nat", name: "PREROUTING")?.priority == -100)
        #expect(rs.chain(family: .inet, table: "hoptrace_99999", name: "pre")?.priority == -301)
        #expect(rs.chain(family: .inet, table: "hoptrace_99999", name: "pre")?.rules.map(\.handle) == [5, 6])
        // A regular chain: no hook, no policy, no rules.
        let docker = try #require(rs.chain(family: .ip, table: "nat", name: "DOCKER"))
        #expect(docker.hook == nil && docker.policy == nil && docker.type == nil)
        #expect(docker.rules.isEmpty)
        // The statements are kept; iptables-nft's REJECT is an xt target there, `reject` in the text.
        let reject = try #require(rs.rule(family: .ip, table: "filter", chain: "FORWARD", handle: 4))
        #expect(reject.expr.last == .object(["xt": .object(["type": .string("target"), "name": .string("REJECT")])]))
        #expect(reject.text == nil, "texts come from the chain's listing, read when a trace needs them")
        #expect(rs.rule(family: .ip, table: "filter", chain: "FORWARD", handle: 99) == nil)
        #expect(rs.hasIptablesNFTTables)
        // With the listings read: the texts the brace-counting parser gave.
        let texts = try NFTraceFixtures.ruleset("ruleset-reject")
        #expect(texts.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 4) == "meta l4proto icmp counter reject")
        #expect(texts.ruleText(family: .ip, table: "nat", chain: "POSTROUTING", handle: 4)
                == "oifname != \"docker1\" ip saddr 172.18.0.0/24 counter masquerade")
        #expect(texts.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 99) == nil)
    }

    /// (a) The lab's iptables-nft rules: the conntrack match is an xt match in JSON, and only
    /// nft's listing says what it matches.
    @Test func labRulesetReadsAsNftPrintsIt() throws {
        let rs = try NFTraceFixtures.ruleset("lab")
        let fwd = try #require(rs.chain(family: .ip, table: "filter", name: "FORWARD"))
        #expect(fwd.policy == "drop")
        #expect(fwd.rules.map(\.handle) == [2, 3])
        #expect(fwd.rules.map(\.text) == ["iifname \"docker1\" oifname != \"docker1\" counter accept",
                                          "oifname \"docker1\" ct state related,established counter accept"])
        #expect(fwd.rules[1].expr.contains(.object(["xt": .object(["type": .string("match"), "name": .string("conntrack")])])))
        #expect(rs.ruleText(family: .ip, table: "nat", chain: "POSTROUTING", handle: 2)
                == "oifname != \"docker1\" ip saddr 172.18.0.0/24 counter masquerade")
    }

    /// (b) What Docker installs: FORWARD jumps through DOCKER-USER and the isolation chains, a
    /// DNAT in nat DOCKER; and a native table with a set, a map and a named counter.
    @Test func dockerChainsJumpsAndDNAT() throws {
        let rs = try NFTraceFixtures.ruleset("docker")
        #expect(rs.tables.map(\.name) == ["filter", "nat", "htx"])
        #expect(rs.chains.filter { $0.table == "filter" }.map(\.name)
                == ["DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-USER", "FORWARD"])
        let fwd = try #require(rs.chain(family: .ip, table: "filter", name: "FORWARD"))
        #expect(fwd.hook == "forward" && fwd.policy == "drop")
        #expect(fwd.rules.map(\.handle) == [6, 7, 8, 9, 10, 11])
        func jumps(_ chain: NFTRuleset.Chain?) -> [String] {
            (chain?.rules ?? []).flatMap { $0.expr.compactMap { $0["jump"]?["target"]?.stringValue } }
        }
        #expect(jumps(fwd) == ["DOCKER-USER", "DOCKER-ISOLATION-STAGE-1", "DOCKER"])
        #expect(jumps(rs.chain(family: .ip, table: "filter", name: "DOCKER-ISOLATION-STAGE-1")) == ["DOCKER-ISOLATION-STAGE-2"])
        #expect(jumps(rs.chain(family: .ip, table: "nat", name: "PREROUTING")) == ["DOCKER"])
        #expect(jumps(rs.chain(family: .ip, table: "nat", name: "OUTPUT")) == ["DOCKER"])
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 9) == "oifname \"docker0\" counter jump DOCKER")
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "DOCKER-ISOLATION-STAGE-2", handle: 15) == "oifname \"docker0\" counter drop")
        // The published port: nft prints the DNAT; the JSON has iptables' xt target.
        let dnat = try #require(rs.rule(family: .ip, table: "nat", chain: "DOCKER", handle: 9))
        #expect(dnat.text == "iifname != \"docker0\" tcp dport 8080 counter dnat to 172.17.0.2:80")
        #expect(dnat.expr.last == .object(["xt": .object(["type": .string("target"), "name": .string("DNAT")])]))
        // `-m comment` is an xt match nft 1.0.6 prints as nothing: the spaces stay as nft printed them.
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "DOCKER", handle: 12)
                == "iifname != \"docker0\" oifname \"docker0\" ip daddr 172.17.0.2 tcp dport 80  counter accept")
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "DOCKER-USER", handle: 17) == "counter return")
        // Chains whose listing was not captured keep no texts.
        #expect(rs.ruleText(family: .ip, table: "nat", chain: "POSTROUTING", handle: 7) == nil)
        #expect(rs.rule(family: .ip, table: "nat", chain: "POSTROUTING", handle: 7) != nil)
    }

    @Test func setsAndMapsAreDecoded() throws {
        let rs = try NFTraceFixtures.structure("docker")
        #expect(rs.sets.map(\.name) == ["allowed", "ports"])
        let allowed = try #require(rs.set(family: .inet, table: "htx", name: "allowed"))
        #expect(allowed.type == "ipv4_addr")
        #expect(!allowed.isMap)
        #expect(allowed.elements == [.string("10.0.0.1"), .string("10.0.0.2")])
        let ports = try #require(rs.set(family: .inet, table: "htx", name: "ports"))
        #expect(ports.isMap)
        #expect(ports.type == "inet_service")
        #expect(ports.valueType == "verdict")
        #expect(ports.elements == [.array([.integer(80), .object(["accept": .null])]),
                                   .array([.integer(443), .object(["drop": .null])])])
        // The rule that matches the set, with its comment.
        let fromSet = try #require(rs.rule(family: .inet, table: "htx", chain: "input", handle: 6))
        #expect(fromSet.comment == "from set")
        #expect(fromSet.expr.first?["match"]?["right"] == .string("@allowed"))
        let input = try #require(rs.chain(family: .inet, table: "htx", name: "input"))
        #expect(input.hook == "input" && input.policy == "drop")
        // A concatenated type, as nft prints it.
        let pairs = try Self.json("""
        {"nftables": [{"table": {"family": "inet", "name": "t", "handle": 1}}, {"set": {"family": "inet", "name": "pairs", \
        "table": "t", "type": ["ipv4_addr", "inet_service"], "handle": 10, "flags": ["interval"], \
        "elem": [{"concat": [{"prefix": {"addr": "10.0.0.0", "len": 24}}, 80]}]}}]}
        """)
        #expect(pairs.sets.first?.type == "ipv4_addr . inet_service")
        #expect(pairs.sets.first?.elements?.first?["concat"]?.arrayValue?.last == .integer(80))
    }

    /// nft ≥ 1.0.7 puts a table's comment in its JSON (this object is the example of the nft
    /// commit that added it); 1.0.6 prints it only in `nft list table`.
    @Test func tableCommentsFromJSONOrTheListing() throws {
        let newer = try Self.json("""
        {"nftables": [{"metainfo": {"version": "1.0.7", "release_name": "Old Doc Yak", "json_schema_version": 1}}, \
        {"table": {"family": "inet", "name": "test3", "handle": 4, "comment": "this is a comment"}}]}
        """)
        #expect(newer.tables.first?.comment == "this is a comment")
        #expect(try NFTraceFixtures.structure("docker").tables.allSatisfy { $0.comment == nil })
        #expect(NFTListing.tableComment(in: try NFTraceFixtures.text("ruleset-s3.table.inet.hoptrace_99999.txt")) == "hoptrace pid 99999")
        // Braces and a `# handle` inside the comment are the comment's.
        #expect(NFTListing.tableComment(in: try NFTraceFixtures.text("docker.table.inet.htx.txt")) == "native { table } # handle 1")
        // No comment: the first chain ends the search (a chain's comment is not the table's).
        #expect(NFTListing.tableComment(in: "table inet t {\n\tchain c {\n\t\tcomment \"chain's\"\n\t}\n}\n") == nil)
        #expect(NFTListing.tableComment(in: "table inet t {\n\tflags dormant\n\tcomment \"after flags\"\n}\n") == "after flags")
        #expect(NFTListing.tableComment(in: "") == nil)
    }

    @Test func unknownKindsAreSkipped() throws {
        // docker.json has a named counter; a dump can have flowtables, quotas, kinds of later versions.
        #expect(try NFTraceFixtures.structure("docker").tables.count == 3)
        let rs = try Self.json("""
        {"nftables": [{"metainfo": {"version": "9.9", "json_schema_version": 2}}, \
        {"table": {"family": "inet", "name": "t", "handle": 1}}, \
        {"flowtable": {"family": "inet", "name": "f", "table": "t", "handle": 2, "hook": "ingress", "prio": 0, "dev": "lo"}}, \
        {"future_kind": [1, 2.5, true, null, "x"]}, \
        {"table": {"family": "inet", "name": "u", "handle": 7}, "extra": 1}, \
        {"chain": {"family": "inet", "table": "t", "name": "c", "handle": 3, "newfield": {"a": 1}}}, \
        {"rule": {"family": "inet", "table": "t", "chain": "c", "handle": 4, "expr": [{"new_statement": {"x": -1}}]}}, \
        {"rule": {"family": "inet", "table": "t", "chain": "gone", "handle": 5, "expr": []}}, \
        {"table": {"family": "decnet", "name": "old", "handle": 6}}]}
        """)
        #expect(rs.tables.map(\.name) == ["t"])
        #expect(rs.chains.map(\.name) == ["c"])
        #expect(rs.chains.first?.rules.map(\.handle) == [4])
        #expect(rs.chains.first?.rules.first?.expr == [.object(["new_statement": .object(["x": .integer(-1)])])])
    }

    @Test func jsonValuesAreKeptWhole() throws {
        let v = try JSONDecoder().decode(JSONValue.self, from: Data(#"[1, -2, 2.5, true, false, null, "x", {"k": []}, 9223372036854775807]"#.utf8))
        #expect(v == .array([.integer(1), .integer(-2), .double(2.5), .bool(true), .bool(false), .null, .string("x"),
                             .object(["k": .array([])]), .integer(Int64.max)]))
        #expect(v.arrayValue?[7]["k"] == .array([]))
        #expect(v["k"] == nil)
    }

    @Test func malformedJSONThrows() {
        for bad in ["", "{", "[]", "{}", #"{"nftables": {}}"#, #"{"nftables": [1]}"#, #"{"nftables": [{"table": {"family": "ip", "handle": 1}}]}"#,
                    #"{"nftables": [{"chain": {"family": "ip", "table": "t", "name": "c", "handle": "1"}}]}"#,
                    #"{"nftables": [{"rule": {"family": "ip", "table": "t", "chain": "c", "handle": -1, "expr": []}}]}"#,
                    "{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"filter\", \"handle\": 1}}"] {
            #expect(throws: DecodingError.self, "\(bad)") { try NFTRuleset(json: Data(bad.utf8)) }
        }
    }

    /// A chain's texts are read the first time a trace event needs one, once per dump.
    @Test func ruleTextsAreReadWhenATraceFirstNeedsThem() throws {
        var rs = try NFTraceFixtures.structure("ruleset-reject")
        var listed: [String] = []
        func load(_ e: TraceEvent) {
            rs.loadRuleTexts(for: e) { chain in
                listed.append(chain.name)
                return try? NFTraceFixtures.text("ruleset-reject.chain.ip.filter.FORWARD.txt")
            }
        }
        let policy = TraceEvent(id: 1, kind: .policy, family: .ip, table: "filter", chain: "FORWARD", verdict: .drop)
        let ours = TraceEvent(id: 1, kind: .rule, family: .inet, table: "hoptrace_99999", chain: "pre", ruleHandle: 5, verdict: .continue)
        let unknown = TraceEvent(id: 1, kind: .rule, family: .ip, table: "filter", chain: "FORWARD", ruleHandle: 99, verdict: .drop)
        let reject = TraceEvent(id: 1, kind: .rule, family: .ip, table: "filter", chain: "FORWARD", ruleHandle: 4, verdict: .drop)
        for e in [policy, ours, unknown] { load(e) }
        #expect(listed.isEmpty, "no text needed, hoptrace's own table, or a rule the dump lacks (dump again first)")
        #expect(RulePathBuilder.needsRuleset(unknown, rs))
        #expect(rs.chainAwaitingRuleTexts(for: reject)?.name == "FORWARD")
        load(reject)
        load(reject)
        #expect(listed == ["FORWARD"])
        #expect(rs.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 4) == "meta l4proto icmp counter reject")
        #expect(rs.chainAwaitingRuleTexts(for: reject) == nil)
        // A new dump reads them again.
        rs = try NFTraceFixtures.structure("ruleset-reject")
        load(reject)
        #expect(listed == ["FORWARD", "FORWARD"])
        // A chain nft could not list: read (once), no texts, and no reason to dump again.
        var unlisted = try NFTraceFixtures.structure("ruleset-reject")
        unlisted.loadRuleTexts(for: reject) { _ in nil }
        #expect(unlisted.chain(family: .ip, table: "filter", name: "FORWARD")?.ruleTextsRead == true)
        #expect(unlisted.ruleText(family: .ip, table: "filter", chain: "FORWARD", handle: 4) == nil)
        #expect(!RulePathBuilder.needsRuleset(reject, unlisted))
        // Texts of handles the dump lacks (rules added since) are not taken.
        var newer = try NFTraceFixtures.structure("ruleset-reject")
        newer.setRuleTexts([4: "x", 5: "added since"], family: .ip, table: "filter", chain: "FORWARD")
        #expect(newer.chain(family: .ip, table: "filter", name: "FORWARD")?.rules.map(\.text) == ["x"])
    }
}

/// Rule texts from `nft -a -s list chain`, by the ` # handle N` each line ends with.
@Suite struct NFTListingTests {
    @Test func ruleTextsByHandle() throws {
        let input = NFTListing.ruleTexts(in: try NFTraceFixtures.text("docker.chain.inet.htx.input.txt"))
        #expect(input == [
            6: "ip saddr @allowed accept comment \"from set\"",
            7: "tcp dport vmap @ports",
            // Its log prefix says `# handle 7`: quoted, not the suffix; rule 7 keeps its own text.
            9: "tcp dport { 22, 2222 } ct state new log prefix \"ssh # handle 7 \" counter accept",
            10: "counter name \"seen\" jump audit",
        ])
        let audit = NFTListing.ruleTexts(in: try NFTraceFixtures.text("docker.chain.inet.htx.audit.txt"))
        #expect(audit == [
            11: "meta l4proto udp log prefix \"a {brace} # handle 2\" drop",
            12: "meta l4proto tcp counter accept comment \"tcp {ok} # handle 6\"",
        ])
        let stage1 = NFTListing.ruleTexts(in: try NFTraceFixtures.text("docker.chain.ip.filter.DOCKER-ISOLATION-STAGE-1.txt"))
        #expect(stage1 == [13: "iifname \"docker0\" oifname != \"docker0\" counter jump DOCKER-ISOLATION-STAGE-2", 14: "counter return"])
    }

    @Test func onlyWholeRuleLinesCount() {
        let listing = """
        table inet t {
        \tchain c { # handle 1
        \t\ttype filter hook input priority filter; policy accept;
        \t\tmeta mark 1 comment "split
        \t\t # handle 3" accept # handle 4
        \t\tcounter # handle 5
        \t\tcounter accept # handle 5
        \t\tset s { # handle 6
        \t\tip saddr 1.2.3.4 # handle 7x
        \t\tip saddr 1.2.3.5 # handle
        \t\t # handle 9
        \t\tip daddr 10.0.0.1 counter drop # handle 8
        \t}
        }
        """
        // 4: a string broken over two lines; 5: twice; 6: a block; 7 and the bare marker: no number at the end; 9: no text.
        #expect(NFTListing.ruleTexts(in: listing) == [8: "ip daddr 10.0.0.1 counter drop"])
        #expect(NFTListing.ruleTexts(in: "").isEmpty)
    }

    @Test func chainNamesGoOnNftsCommandLineOnlyWhenPlain() {
        #expect(NFTListing.listChainCommand(family: .ip, table: "filter", chain: "DOCKER-ISOLATION-STAGE-1")
                == ["nft", "-a", "-s", "list", "chain", "ip", "filter", "DOCKER-ISOLATION-STAGE-1"])
        #expect(NFTListing.listChainCommand(family: .inet, table: "hoptrace_1", chain: "a/b.c_d") != nil)
        #expect(NFTListing.isPlainIdentifier("_x") && NFTListing.isPlainIdentifier(".x") && NFTListing.isPlainIdentifier("KUBE-SVC-ABCD1234"))
        for bad in ["", "1abc", "-x", "x; flush ruleset", "a b", "\"q\"", "a$b", "naïve", "x\ny", "@set", "a{b"] {
            #expect(!NFTListing.isPlainIdentifier(bad), "\(bad.debugDescription)")
            #expect(NFTListing.listChainCommand(family: .ip, table: "filter", chain: bad) == nil)
            #expect(NFTListing.listChainCommand(family: .ip, table: bad, chain: "FORWARD") == nil)
        }
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
        // The dump has the rule: its text is read from the chain's listing, no new dump needed.
        #expect(!RulePathBuilder.needsRuleset(e, try NFTraceFixtures.structure("ruleset-reject")))
        #expect(RulePathBuilder.needsRuleset(e, nil))
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
        // As many braces as it closes, but out of order: it would close the chain and open another.
        #expect(throws: TraceSelectorError.forbidden("}")) { try TraceSelector(expression: "ip saddr 1.2.3.4 } chain x {") }
        // An open quote would run into the script's next line.
        #expect(throws: TraceSelectorError.forbidden("\"")) { try TraceSelector(expression: "meta iifname \"eth0") }
        #expect((try? TraceSelector(expression: "meta iifname \"x}\" ip saddr 1.2.3.4")) != nil)
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
        let rs = try NFTRuleset(json: Data("""
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, \
        {"table": {"family": "inet", "name": "hoptrace_100", "handle": 1}}, {"table": {"family": "inet", "name": "hoptrace_200", "handle": 2}}, \
        {"table": {"family": "ip", "name": "hoptrace_300", "handle": 3}}, {"table": {"family": "inet", "name": "other", "handle": 4}}, \
        {"table": {"family": "inet", "name": "hoptrace_400", "handle": 5}}]}
        """.utf8))
        // Only `inet hoptrace_<digits>` is a trace table; which are leftovers: StaleTraceTableTests.
        #expect(TraceTable.traceTables(in: rs).map(\.pid) == [100, 200, 400])
    }
}
