/// Learns the rewrites NAT makes to a flow's packets (SNAT and MASQUERADE, DNAT, port and
/// ICMP echo id remaps) into the flow's `nat`, from two kinds of evidence: conntrack's
/// tuples (a rewrite happened somewhere) and one packet seen with different addresses or
/// ports at two consecutive capture points (it happened between them). And notices when a
/// placed rewrite stops (`until`: a packet crossed its place untranslated) and resumes.
///
/// Pure: reads and writes only the flow's `nat` and `natStopped` (and reads its
/// journeys), so it can be tested without a correlator. Rewrites are in the flow's original
/// direction: a reply's un-SNAT is the same SNAT seen from the other side, recorded once.
enum NATLearner {
    /// Rewrites between consecutive sightings of journey `i` (adjacent on its expected path
    /// when `knowsPaths`, else in the hops' order), in original-direction terms.
    /// `pairsFrom`: only the pairs ending at this hop index or later (the earlier ones were learnt already).
    /// Reads the journey's hops and path in place: a copy of a journey retains its arrays.
    /// Returns whether `nat` changed.
    static func learn(journey i: Int, pairsFrom first: Int = 1, knowsPaths: Bool, in f: inout Flow) -> Bool {
        let leg = f.journeys[i].leg, count = f.journeys[i].hops.count
        guard leg != .error, count > 1, first >= 1, first < count else { return false }
        var learnt = false
        // Path positions: each pair's second point is the next pair's first.
        var ib = knowsPaths ? f.journeys[i].path.firstIndex(of: f.journeys[i].hops.point(at: first - 1)) : nil
        // A SNAT'd flow repeats the same rewrite with every packet: once recorded with a
        // place, seeing it again changes nothing (unless it had stopped).
        func add(_ kind: NATRewrite.Kind, _ field: NATRewrite.Field, _ from: NATValue, _ to: NATValue, _ between: (CapturePoint, CapturePoint)) {
            if f.nat.contains(where: { $0.between != nil && $0.same(kind, field, from, to) }) {
                // Seen again after it had stopped: it applies once more.
                if f.natStopped { resume(kind, field, between) }
                return
            }
            if record(NATRewrite(kind: kind, field: field, from: from, to: to, between: between), in: &f) { learnt = true }
        }
        func resume(_ kind: NATRewrite.Kind, _ field: NATRewrite.Field, _ between: (CapturePoint, CapturePoint)) {
            for n in f.nat.indices where f.nat[n].until != nil && f.nat[n].kind == kind && f.nat[n].fieldKind == field
                && f.nat[n].between?.0 == between.0 && f.nat[n].between?.1 == between.1 {
                f.updateNAT(n) { $0.until = nil }
                learnt = true
            }
            f.natStopped = f.nat.contains { $0.until != nil }
        }
        for k in first..<count {
            if knowsPaths {
                let ia = ib
                ib = f.journeys[i].path.firstIndex(of: f.journeys[i].hops.point(at: k))
                guard let ia, let ib, ib == ia + 1 else { continue }
            }
            let a = f.journeys[i].hops[k - 1], b = f.journeys[i].hops[k]
            if leg == .request {
                let between = (a.point, b.point)
                // A rewrite placed here that this packet crossed without: NAT has stopped.
                for n in f.nat.indices where f.nat[n].until == nil {
                    guard let (x, y) = f.nat[n].between, x == a.point, y == b.point, f.nat[n].untouched(from: a, to: b) else { continue }
                    f.updateNAT(n) { $0.until = b.time }
                    f.natStopped = true
                    learnt = true
                }
                if a.src != b.src { add(.snat, .src, .address(a.src), .address(b.src), between) }
                if a.dst != b.dst { add(.dnat, .dst, .address(a.dst), .address(b.dst), between) }
                if let x = a.sport, let y = b.sport, x != y { add(.snat, .sport, .number(x), .number(y), between) }
                if let x = a.dport, let y = b.dport, x != y { add(.dnat, .dport, .number(x), .number(y), between) }
                if let x = a.icmpID, let y = b.icmpID, x != y { add(.snat, .id, .number(x), .number(y), between) }
            } else {
                // A reply undoes the rewrites: the original direction crosses b before a.
                let between = (b.point, a.point)
                if a.src != b.src { add(.dnat, .dst, .address(b.src), .address(a.src), between) }
                if a.dst != b.dst { add(.snat, .src, .address(b.dst), .address(a.dst), between) }
                if let x = a.sport, let y = b.sport, x != y { add(.dnat, .dport, .number(y), .number(x), between) }
                if let x = a.dport, let y = b.dport, x != y { add(.snat, .sport, .number(y), .number(x), between) }
                if let x = a.icmpID, let y = b.icmpID, x != y { add(.snat, .id, .number(y), .number(x), between) }
            }
        }
        return learnt
    }

    /// Rewrites conntrack's tuples imply: orig.src ≠ reply.dst is SNAT, orig.dst ≠ reply.src is DNAT
    /// (and likewise for ports and the echo id), placed nowhere. Returns whether `nat` changed.
    static func learn(fromConntrack e: ConntrackEvent, in f: inout Flow) -> Bool {
        let o = e.orig, r = e.reply
        var found: [NATRewrite] = []
        if o.src != r.dst { found.append(.init(kind: .snat, field: .src, from: .address(o.src), to: .address(r.dst))) }
        if o.dst != r.src { found.append(.init(kind: .dnat, field: .dst, from: .address(o.dst), to: .address(r.src))) }
        if let oi = o.icmp, let ri = r.icmp, oi.id != ri.id {
            found.append(.init(kind: .snat, field: .id, from: .number(oi.id), to: .number(ri.id)))
        }
        if let x = o.sport, let y = r.dport, x != y { found.append(.init(kind: .snat, field: .sport, from: .number(x), to: .number(y))) }
        if let x = o.dport, let y = r.sport, x != y { found.append(.init(kind: .dnat, field: .dport, from: .number(x), to: .number(y))) }
        var learnt = false
        for n in found where record(n, in: &f) { learnt = true }
        return learnt
    }

    /// Forgets every rewrite (the flow was turned round: they were learnt the wrong way round).
    /// `natStopped` is left as it was: it only spares a search when nothing has stopped, so a
    /// stale `true` costs a look, never a wrong answer.
    static func forget(in f: inout Flow) {
        f.forgetNAT()
    }

    /// Records a rewrite once; a sighting's place replaces conntrack's "somewhere".
    private static func record(_ r: NATRewrite, in f: inout Flow) -> Bool {
        if let i = f.nat.firstIndex(where: { $0.sameRewrite(as: r) }) {
            guard f.nat[i].between == nil, r.between != nil else { return false }
            f.updateNAT(i) { $0.between = r.between }
            return true
        }
        f.appendNAT(r)
        return true
    }
}
