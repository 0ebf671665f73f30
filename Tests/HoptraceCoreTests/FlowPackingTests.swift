import Testing
@testable import HoptraceCore

/// `Flow` is packed (keys as words, flags in a byte, an interned namespace, rare parts behind
/// one reference): every field must read back as it was set, and the flow must keep its size.
@Suite struct FlowPackingTests {
    typealias L = Lab
    let t = Lab.packedTime, v6a = Lab.v6a, v6b = Lab.v6b

    /// A flow's box (header, flow, LRU links) must stay within 248 bytes: malloc's 256-byte
    /// size, not the 368 one of a 320-byte flow. 100k flows hold one box each.
    @Test func aFlowFitsIn216Bytes() {
        #expect(MemoryLayout<Flow>.size <= 216)
        #expect(MemoryLayout<Verdict>.size <= 32)
    }

    /// The three sighting counters share two words: each reads back as set, changed one at
    /// a time, up to its limit, and saturates there (never wraps); below 0 is 0.
    @Test func theSightingCountersKeepToTheirBits() {
        var f = Flow(id: 7, proto: 17, echo: false, orig: FlowKey(proto: 17, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: 1, dport: 2), time: t)
        let wide = SightingCounts.requestLimit, related = SightingCounts.relatedLimit
        for (q, r, e) in [(0, 0, 0), (1, 2, 3), (wide, 0, 0), (0, wide, 0), (0, 0, related), (wide, wide, related),
                          (wide - 1, 5, related - 1), (1 << 20, (1 << 20) + 1, (1 << 20) - 1)] {
            f.requestPackets = q
            f.replyPackets = r
            f.relatedPackets = e
            #expect(f.requestPackets == q && f.replyPackets == r && f.relatedPackets == e && f.packets == q + r + e)
            f.relatedPackets = e == 0 ? 1 : 0
            #expect(f.requestPackets == q && f.replyPackets == r)
            f.requestPackets += 1
            f.replyPackets = 0
            #expect(f.requestPackets == min(q + 1, wide) && f.relatedPackets == (e == 0 ? 1 : 0))
        }
        f.requestPackets = Int.max
        f.replyPackets = -4
        f.relatedPackets = Int.max
        #expect(f.requestPackets == wide && f.replyPackets == 0 && f.relatedPackets == related)
    }

    @Test func aFlowKeepsItsKeysNamespaceFlagsAndRareParts() {
        let v4 = FlowKey(proto: 6, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: 40000, dport: 443)
        let mixed = FlowKey(proto: 17, src: v6a, dst: L.ip(L.remoteIP), sport: 0, dport: 65535)
        var f = Flow(id: 7, proto: 6, echo: true, orig: v4, time: t)
        #expect(f.orig == v4 && f.reply == nil && f.echo && f.verdictByLatest && !f.seenReply && !f.ended)
        #expect(f.conntrackNetns == nil && f.diagnosis == nil && f.lastError == nil && f.proxy == nil)
        f.orig = mixed
        f.reply = FlowKey(proto: 17, src: v6b, dst: v6a, sport: 1, dport: 2)
        #expect(f.orig == mixed && f.reply == FlowKey(proto: 17, src: v6b, dst: v6a, sport: 1, dport: 2))
        f.reply = v4
        #expect(f.reply == v4 && f.orig == mixed)
        f.conntrackNetns = "ht-ns"
        #expect(f.conntrackNetns == "ht-ns")
        f.conntrackNetns = "other"
        #expect(f.conntrackNetns == "other")
        f.conntrackNetns = nil
        #expect(f.conntrackNetns == nil)
        f.seenReply = true
        f.ended = true
        f.echo = false
        f.verdictByLatest = false
        #expect(f.seenReply && f.ended && !f.echo && !f.verdictByLatest && !f.everAnswered && !f.natStopped)
        f.everAnswered = true
        f.natStopped = true
        f.verdictSettled = true
        #expect(f.everAnswered && f.natStopped && f.verdictSettled && f.seenReply && f.proto == 6 && f.id == 7)
        // The rare parts share one box: setting or clearing one keeps the others.
        let e = Flow.RelatedError(type: 3, code: 1, from: L.ip(L.hostIP), at: L.enX0, time: t)
        let proxy = UserlandProxy(pid: 812, netns: "ht-ns", proto: 6, hostIP: nil, hostPort: 8080,
                                  containerIP: L.ip(L.ns1IP), containerPort: 80)
        let link = ProxyLink(role: .client, proxy: proxy, peerFlow: nil, upstream: nil)
        f.lastError = e
        #expect(f.lastError == e && f.diagnosis == nil && f.proxy == nil && f.hasRareParts)
        f.proxy = link
        #expect(f.lastError == e && f.proxy === link)
        f.diagnosis = nil
        #expect(f.lastError == e && f.proxy === link)
        f.lastError = nil
        #expect(f.lastError == nil && f.proxy === link && f.hasRareParts)
        f.proxy = nil
        #expect(f.proxy == nil && !f.hasRareParts)
    }

    /// Past the namespace table's bound a name is kept whole (in the rare parts), and a flow
    /// moving between such a name and an interned one reads each back.
    @Test func aNamespaceNameSurvivesAFullTable() {
        var f = Flow(id: 1, proto: 17, echo: false, orig: FlowKey(proto: 17, src: v6a, dst: v6b), time: t)
        for i in 0..<(1 << 16) { _ = Flow.netnsNames.intern(netns: "ht-fill-\(i)", iface: "") }
        f.conntrackNetns = "ht-late-name"
        #expect(f.conntrackNetns == "ht-late-name" && f.hasRareParts)
        f.conntrackNetns = "ht-fill-7"
        #expect(f.conntrackNetns == "ht-fill-7" && !f.hasRareParts)
        f.conntrackNetns = "ht-another-late-name"
        #expect(f.conntrackNetns == "ht-another-late-name")
        f.conntrackNetns = nil
        #expect(f.conntrackNetns == nil && !f.hasRareParts)
    }

    @Test func theReplyCounterKeepsEveryValueButTheLast() {
        var f = Flow(id: 1, proto: 17, echo: false, orig: FlowKey(proto: 17, src: v6a, dst: v6b), time: t)
        #expect(f.replyPacketsCounted == nil)
        for v: UInt64 in [0, 1, .max - 1] {
            f.replyPacketsCounted = v
            #expect(f.replyPacketsCounted == v)
        }
        f.replyPacketsCounted = .max
        #expect(f.replyPacketsCounted == UInt64.max - 1)
        f.replyPacketsCounted = nil
        #expect(f.replyPacketsCounted == nil)
    }
}
