import Foundation
import HoptraceCore
import Testing

/// Real NFT_MSG_TRACE messages captured from the lab (Tests/Fixtures/nftrace/*.hex, one message
/// a line, as received on NFNLGRP_NFTRACE in the lab's host namespace; kernel 6.18, nft 1.0.6),
/// and the rulesets they went through, rebuilt with the lab's handles by capture-rulesets.sh:
/// `nft -j list ruleset` (NAME.json) and `nft -a -s list chain` of the chains with rules
/// (NAME.chain.FAMILY.TABLE.CHAIN.txt).
enum NFTraceFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nftrace")

    static func messages(_ name: String) throws -> [[UInt8]] {
        let text = try String(contentsOf: directory.appendingPathComponent(name + ".hex"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            var bytes: [UInt8] = []
            var i = line.startIndex
            while i < line.endIndex {
                let j = line.index(i, offsetBy: 2)
                bytes.append(UInt8(line[i..<j], radix: 16)!)
                i = j
            }
            return bytes
        }
    }

    static func events(_ name: String) throws -> [TraceEvent] {
        try messages(name).map { try TraceEvent(message: $0) }
    }

    static func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    /// The dump alone, as `TraceSession.dumpRuleset` reads it: no rule texts yet.
    static func structure(_ name: String) throws -> NFTRuleset {
        try NFTRuleset(json: Data(contentsOf: directory.appendingPathComponent(name + ".json")))
    }

    /// The chain's captured listing; nil when none was captured (as when nft cannot list it).
    static func listing(_ name: String, _ chain: NFTRuleset.Chain) -> String? {
        try? text("\(name).chain.\(chain.family).\(chain.table).\(chain.name).txt")
    }

    /// The dump with the rule texts of every captured chain.
    static func ruleset(_ name: String) throws -> NFTRuleset {
        var rs = try structure(name)
        for c in rs.chains where !c.rules.isEmpty {
            guard let l = listing(name, c) else { continue }
            rs.setRuleTexts(NFTListing.ruleTexts(in: l), family: c.family, table: c.table, chain: c.name)
        }
        return rs
    }

    /// Rule paths as `TraceSession.drain` builds them: a chain's texts read when an event first needs them.
    static func paths(_ name: String, ruleset: String, netns: String? = nil) throws -> [RulePath] {
        var rs = try structure(ruleset)
        var b = RulePathBuilder(netns: netns)
        for e in try events(name) {
            rs.loadRuleTexts(for: e) { listing(ruleset, $0) }
            b.add(e, ruleset: rs)
        }
        return b.paths
    }
}

@Suite struct TraceEventTests {
    @Test func forwardPolicyDropFixtureParses() throws {
        let events = try NFTraceFixtures.events("s3-forward-policy-drop")
        #expect(events.count == 7)
        let last = try #require(events.last)
        #expect(last.kind == .policy)
        #expect(last.family == .ip)
        #expect(last.table == "filter")
        #expect(last.chain == "FORWARD")
        #expect(last.verdict == .drop)
        #expect(last.chainName == "ip filter FORWARD")
        // The first event of a hook carries the headers: the ping as it entered.
        let first = try #require(events.first)
        #expect(first.table.hasPrefix("hoptrace_"))
        #expect(first.kind == .rule)
        #expect(first.verdict == .continue)
        let p = try #require(first.packet)
        #expect(p.src == .v4(IPv4Address("172.18.0.3")!))
        #expect(p.dst == .v4(IPv4Address("172.31.45.174")!))
        guard case .icmp(8, 0, let id?, 1?) = p.transport else {
            Issue.record("not an echo request: \(String(describing: p.transport))")
            return
        }
        #expect(id != 0)
        #expect(first.iif != nil)
        // The FORWARD hook's first event knows both interfaces.
        let forward = try #require(events.first { $0.chain == "FORWARD" && $0.networkHeader != nil })
        #expect(forward.iif != nil && forward.oif != nil && forward.iif != forward.oif)
        #expect(forward.nfproto == 2)
    }

    @Test func traceIDsChangeBetweenHooksOnThisKernel() throws {
        let events = try NFTraceFixtures.events("s3-forward-policy-drop")
        let pre = try #require(events.first { $0.chain == "PREROUTING" })
        let fwd = try #require(events.first { $0.chain == "FORWARD" })
        #expect(pre.id != fwd.id)
        // … but the builder joins them into one packet's path.
        let paths = try NFTraceFixtures.paths("s3-forward-policy-drop", ruleset: "ruleset-s3")
        #expect(paths.count == 1)
        #expect(paths[0].traceIDs.count == 2)
    }

    @Test func rejectRuleReportsDropWithHandleAndConntrack() throws {
        let events = try NFTraceFixtures.events("s3-forward-reject")
        let rule = try #require(events.last)
        #expect(rule.kind == .rule)
        #expect(rule.chain == "FORWARD")
        #expect(rule.ruleHandle == 4)
        #expect(rule.verdict == .drop)
        // Linux ≥ 6.13 also reports the conntrack entry.
        #expect(rule.conntrackID != nil)
        #expect(rule.conntrackDirection == 0)
    }

    @Test func verdictCodes() {
        #expect(TraceVerdict(code: 0) == .drop)
        #expect(TraceVerdict(code: 1) == .accept)
        #expect(TraceVerdict(code: (1 << 16) | 0) == .drop)  // NF_DROP_ERR(-EPERM)
        #expect(TraceVerdict(code: -1) == .continue)
        #expect(TraceVerdict(code: -3, chain: "DOCKER") == .jump("DOCKER"))
        #expect(TraceVerdict(code: -4, chain: "X").description == "goto X")
        #expect(TraceVerdict(code: -5) == .return)
        #expect(TraceVerdict(code: -77) == .other(-77))
    }

    @Test func everyTruncationThrowsOrParsesNeverTraps() throws {
        for name in ["s3-forward-policy-drop", "s3-forward-reject", "s4-reply-policy-drop", "s2-accept", "s5-bridged-policy-drop"] {
            for message in try NFTraceFixtures.messages(name) {
                for cut in 0..<message.count {
                    var bytes = Array(message[0..<cut])
                    // Keep the header's length honest half of the time, so attribute parsing is reached.
                    if cut >= 4 && cut % 2 == 0 {
                        bytes[0] = UInt8(cut & 0xff); bytes[1] = UInt8(cut >> 8); bytes[2] = 0; bytes[3] = 0
                    }
                    _ = try? TraceEvent(message: bytes)
                    _ = TraceEvent.parseAll(bytes)
                }
            }
        }
    }

    @Test func truncatedHeaderAndWrongTypeAreErrors() throws {
        let m = try NFTraceFixtures.messages("s3-forward-policy-drop")[0]
        #expect(throws: NetlinkParseError.self) { try TraceEvent(message: Array(m[0..<10])) }
        var lying = m
        lying[0] = 0xff; lying[1] = 0xff  // length beyond the buffer
        #expect(throws: NetlinkParseError.badLength("nlmsghdr", Int(lying[0]) | Int(lying[1]) << 8 | Int(m[2]) << 16 | Int(m[3]) << 24)) {
            try TraceEvent(message: lying)
        }
        var other = m
        other[4] = 0x00  // NFT_MSG_NEWTABLE, not a trace
        #expect(throws: NetlinkParseError.notATrace(type: 0x0a00)) { try TraceEvent(message: other) }
        // An attribute whose length runs past the message.
        var badAttr = m
        badAttr[20] = 0xf0; badAttr[21] = 0x00
        #expect(throws: NetlinkParseError.self) { try TraceEvent(message: badAttr) }
    }

    @Test func randomGarbageNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<200, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n >= 8 {
                bytes[0] = UInt8(n & 0xff); bytes[1] = 0; bytes[2] = 0; bytes[3] = 0
                bytes[4] = 0x11; bytes[5] = 0x0a
            }
            _ = try? TraceEvent(message: bytes)
            _ = TraceEvent.parseAll(bytes + bytes)
        }
    }

    @Test func parseAllSplitsABufferOfSeveralMessages() throws {
        let ms = try NFTraceFixtures.messages("s2-accept")
        let (events, skipped) = TraceEvent.parseAll(ms.flatMap { $0 })
        #expect(events.count == ms.count)
        #expect(skipped == 0)
    }
}
