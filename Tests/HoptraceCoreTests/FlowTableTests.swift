import Testing
@testable import HoptraceCore

/// The correlator's flow storage on its own: found from either direction, the least
/// recently seen evicted first, re-keyed without stale keys, deadlines handed out in order.
@Suite struct FlowTableTests {
    typealias L = Lab
    let t0 = EventTime(seconds: 1_795_438_391, micros: 0)

    func at(_ seconds: Double) -> EventTime { t0.adding(seconds: seconds) }

    /// ns1's UDP flow from source port `n`.
    func key(_ n: UInt16) -> FlowKey { FlowKey(proto: 17, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: n, dport: 53) }

    /// Adds a flow the way the correlator does: room first, the ids evicted for it noted.
    func add(_ table: inout FlowTable, _ k: FlowKey, evicted: inout [Int]) -> FlowBox {
        while let victim = table.evictForRoom() { evicted.append(victim.flow.id) }
        return table.insert(orig: k, echo: false, time: t0)
    }

    /// The table holds its boxes (the index and the LRU links do not retain): a box lives while
    /// it is held, goes once removed or evicted and let go by the caller, and the rest go with the table.
    @Test func theTableHoldsItsBoxesAndLetsThemGo() {
        weak var removed: FlowBox?, evictedBox: FlowBox?, kept: FlowBox?, middle: FlowBox?
        do {
            var table = FlowTable(maxFlows: 3)
            var evicted: [Int] = []
            do {
                let a = add(&table, key(1), evicted: &evicted), b = add(&table, key(2), evicted: &evicted)
                let c = add(&table, key(3), evicted: &evicted)
                (evictedBox, middle, kept) = (a, b, c)
                table.touch(b)
                removed = table.insert(orig: key(9), echo: false, time: t0)
            }
            #expect(removed != nil && evictedBox != nil && middle != nil && kept != nil, "held by the table alone")
            #expect(table.count == 4)
            if let id = removed?.flow.id { _ = table.remove(id) }
            #expect(removed == nil && table.count == 3)
            _ = add(&table, key(4), evicted: &evicted)
            #expect(evicted.count == 1 && evictedBox == nil, "the oldest (untouched) went")
            #expect(middle != nil && kept != nil && table.boxes.count == 3)
            #expect(table.flowsByID.map(\.id) == table.boxes.map(\.flow.id).sorted())
        }
        #expect(middle == nil && kept == nil, "the table let its boxes go")
    }

    @Test func aFlowIsFoundFromEitherDirection() {
        var table = FlowTable(maxFlows: 10)
        var evicted: [Int] = []
        let box = add(&table, key(1), evicted: &evicted)
        #expect(table.id(for: key(1)) == box.flow.id)
        let sameBox = table.box(for: key(1).reversed()) === box
        #expect(sameBox)
        #expect(table.id(for: key(2)) == nil && table.box(for: key(2)) == nil)
        #expect(table.count == 1 && table.lruCount == 1 && table.keyIndexCount == 1)
        #expect(evicted.isEmpty)
    }

    @Test func theLeastRecentlySeenFlowIsEvictedFirst() {
        var table = FlowTable(maxFlows: 3)
        var evicted: [Int] = []
        let first = add(&table, key(1), evicted: &evicted)
        let second = add(&table, key(2), evicted: &evicted)
        let third = add(&table, key(3), evicted: &evicted)
        #expect(evicted.isEmpty)
        // The first is seen again: the second is now the least recently seen.
        table.touch(first)
        _ = add(&table, key(4), evicted: &evicted)
        #expect(evicted == [second.flow.id])
        _ = add(&table, key(5), evicted: &evicted)
        _ = add(&table, key(6), evicted: &evicted)
        #expect(evicted == [second.flow.id, third.flow.id, first.flow.id])
        #expect(table.count == 3 && table.lruCount == 3)
        #expect(table.flowsByID.map(\.id) == [4, 5, 6])
        // An evicted flow leaves no key behind.
        #expect(table.box(first.flow.id) == nil && table.id(for: key(1)) == nil)
        #expect(table.keyIndexCount == 3)
    }

    @Test func reKeyingRemovesTheOldKeys() {
        var table = FlowTable(maxFlows: 10)
        var evicted: [Int] = []
        let box = add(&table, key(1), evicted: &evicted)
        let id = box.flow.id
        // conntrack names the flow's tuples, not the key it was first filed under: unindex, change, index.
        let orig = key(7)
        let reply = FlowKey(proto: 17, src: L.ip(L.remoteIP), dst: L.ip(L.hostIP), sport: 53, dport: 40007)
        table.unindex(id)
        box.flow.orig = orig
        box.flow.reply = reply
        table.index(id)
        #expect(table.id(for: key(1)) == nil)
        #expect(table.id(for: orig) == id && table.id(for: reply) == id && table.id(for: reply.reversed()) == id)
        #expect(table.keyIndexCount == 2)
    }

    @Test func unindexingLeavesAKeyAnotherFlowHasTaken() {
        var table = FlowTable(maxFlows: 10)
        var evicted: [Int] = []
        let a = add(&table, key(1), evicted: &evicted)
        let b = add(&table, key(2), evicted: &evicted)
        // b takes a's key: conntrack names b's reply tuple with it (a flow is filed only under its own keys).
        table.unindex(b.flow.id)
        b.flow.reply = key(1).reversed()
        table.index(b.flow.id)
        table.unindex(a.flow.id)
        #expect(table.id(for: key(1)) == b.flow.id)
        // Removing a forgets it everywhere but takes nothing of b's.
        let removed = table.remove(a.flow.id)
        let removedA = removed === a
        #expect(removedA)
        #expect(table.box(a.flow.id) == nil)
        #expect(table.id(for: key(1)) == b.flow.id && table.id(for: key(2)) == b.flow.id)
        #expect(table.count == 1 && table.lruCount == 1 && table.keyIndexCount == 2)
        let again = table.remove(a.flow.id)
        #expect(again == nil)
    }

    @Test func deadlinesPopInTimeOrderAndSupersededOnesAreSkipped() {
        var table = FlowTable(maxFlows: 10)
        var evicted: [Int] = []
        let a = add(&table, key(1), evicted: &evicted)
        let b = add(&table, key(2), evicted: &evicted)
        let c = add(&table, key(3), evicted: &evicted)
        let d = add(&table, key(4), evicted: &evicted)
        table.schedule(&a.flow, at: at(3))
        table.schedule(&b.flow, at: at(1))
        table.schedule(&c.flow, at: at(2))
        table.schedule(&d.flow, at: at(1.5))
        // a's earlier deadline supersedes its first; d goes before its deadline comes.
        table.schedule(&a.flow, at: at(0.5))
        table.remove(d.flow.id)
        #expect(table.deadlineCount == 5)
        var popped: [Int] = []
        while let box = table.popDue(at: at(2)) {
            #expect(box.flow.scheduled == nil)
            popped.append(box.flow.id)
        }
        #expect(popped == [a.flow.id, b.flow.id, c.flow.id])
        // Only a's superseded entry (3 s) is left, and it is dropped, not handed out.
        #expect(table.deadlineCount == 1)
        let late = table.popDue(at: at(10))
        #expect(late == nil && table.deadlineCount == 0)
    }

    @Test func compactingKeepsTheHeapWithinItsBound() {
        var table = FlowTable(maxFlows: 10)
        var evicted: [Int] = []
        let box = add(&table, key(1), evicted: &evicted)
        var most = 0
        // One flow whose deadline keeps moving earlier, compacted after each change as the correlator does.
        for i in 0..<20_000 {
            table.schedule(&box.flow, at: at(Double(20_000 - i)))
            table.compactDeadlines()
            most = max(most, table.deadlineCount)
        }
        // The bound CorrelatorBoundsTests holds the correlator to: twice the live entries plus a constant.
        #expect(most <= 2 * 1 + 4097)
        var popped: [Int] = []
        while let due = table.popDue(at: at(30_000)) { popped.append(due.flow.id) }
        #expect(popped == [box.flow.id])
    }

    /// The open-addressing index against plain dictionaries: thousands of flows filed,
    /// re-keyed (conntrack naming NAT'd reply tuples) and removed in random order, in a
    /// table small enough that probe runs collide, wrap and are shifted back on removal;
    /// ids share the table with keys, and every live flow's id must find it.
    @Test func theKeyIndexAgreesWithADictionaryThroughChurn() {
        var table = FlowTable(maxFlows: 100_000)
        var rng = SplitMix64(seed: 0x4B45_5931)
        var model: [FlowKey: Int] = [:]  // canonical key -> id
        var live: [Int: FlowBox] = [:]
        var removed: [Int] = []
        func udp(_ n: UInt64) -> FlowKey {
            FlowKey(proto: 17, src: .v4(IPv4Address(0xAC12_0000 | UInt32(n % 300))), dst: L.ip(L.remoteIP),
                    sport: UInt16(1024 + n % 5000), dport: 53)
        }
        func unfile(_ b: FlowBox) {
            for k in [b.flow.orig, b.flow.reply].compactMap({ $0 }) where model[k.canonical] == b.flow.id { model[k.canonical] = nil }
        }
        func file(_ b: FlowBox) {
            for k in [b.flow.orig, b.flow.reply].compactMap({ $0 }) { model[k.canonical] = b.flow.id }
        }
        for step in 0..<40_000 {
            let r = rng.next()
            switch r % 5 {
            case 4:
                // conntrack destroyed it: its keys go, it is still held and found by id.
                guard let b = live.values.randomElement(using: &rng) else { continue }
                table.unindex(b.flow.id)
                unfile(b)
            case 0, 1:
                let k = udp(rng.next())
                guard table.id(for: k) == nil else { continue }
                let b = table.insert(orig: k, echo: false, time: t0)
                live[b.flow.id] = b
                file(b)
            case 2:
                // conntrack names a reply tuple behind NAT (which may take another flow's key).
                guard let b = live.values.randomElement(using: &rng) else { continue }
                table.unindex(b.flow.id)
                unfile(b)
                b.flow.reply = FlowKey(proto: 17, src: L.ip(L.remoteIP), dst: L.ip(L.hostIP), sport: 53, dport: UInt16(20_000 + rng.next() % 3000))
                table.index(b.flow.id)
                file(b)
            default:
                guard let b = live.values.randomElement(using: &rng) else { continue }
                unfile(b)
                live[b.flow.id] = nil
                removed.append(b.flow.id)
                #expect(table.remove(b.flow.id) === b)
            }
            if step % 997 == 0 || step == 39_999 {
                #expect(table.keyIndexCount == model.count, "step \(step)")
                for (k, id) in model {
                    #expect(table.id(for: k) == id && table.id(for: k.reversed()) == id, "step \(step): \(k)")
                }
                for k in (0..<200).map({ _ in udp(rng.next()) }) where model[k.canonical] == nil {
                    #expect(table.id(for: k) == nil, "step \(step): \(k) found but never filed")
                }
                #expect(table.count == live.count && table.lruCount == live.count, "step \(step)")
                for (id, b) in live { #expect(table.box(id) === b, "step \(step): flow \(id)") }
                #expect(Set(table.boxes.map { ObjectIdentifier($0) }) == Set(live.values.map { ObjectIdentifier($0) }))
                #expect(table.flowsByID.map(\.id) == live.keys.sorted())
                for gone in removed.suffix(50) { #expect(table.box(gone) == nil, "step \(step): removed flow \(gone) found") }
            }
        }
    }
}

extension SplitMix64: RandomNumberGenerator {}

