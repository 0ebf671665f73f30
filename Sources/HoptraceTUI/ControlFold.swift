import HoptraceCore

/// One row under the flow list standing for a namespace's link-local control flows
/// (`ControlTraffic`): newest first would otherwise put router solicitations and MLD
/// reports above the ping one came to see. `a` lists them one by one instead.
struct ControlFold: Equatable {
    var netns: String?
    var count: Int
    /// In `ControlTraffic.allCases` order.
    var kinds: [ControlTraffic]

    /// `· 7 link-local control flows in htns1 (ND, MLD, IGMP): a lists them`
    func text(_ g: Glyphs) -> String {
        let place = netns.map { "in \($0)" } ?? "in the current namespace"
        let noun = count == 1 ? "flow" : "flows"
        return "\(g.dot) \(count) link-local control \(noun) \(place) (\(kinds.map(\.rawValue).joined(separator: ", "))): a lists them"
    }

    /// Folds by namespace, in namespace order (the current namespace first).
    static func fold(_ flows: [Flow]) -> [ControlFold] {
        var byNetns: [String?: (count: Int, kinds: Set<ControlTraffic>)] = [:]
        for f in flows {
            guard let kind = f.controlTraffic else { continue }
            let ns = f.homeNetns
            byNetns[ns, default: (0, [])].count += 1
            byNetns[ns, default: (0, [])].kinds.insert(kind)
        }
        var folds: [ControlFold] = []
        for (ns, v) in byNetns {
            folds.append(ControlFold(netns: ns, count: v.count, kinds: ControlTraffic.allCases.filter { v.kinds.contains($0) }))
        }
        return folds.sorted { ($0.netns ?? "") < ($1.netns ?? "") }
    }
}

extension Flow {
    /// What kind of link-local control traffic this is (nil: a flow someone started).
    var controlTraffic: ControlTraffic? {
        ControlTraffic.classify(proto: proto, src: orig.src, dst: orig.dst, sport: orig.sport, dport: orig.dport, echo: echo)
    }

    /// The namespace a flow belongs to: the one whose conntrack reported it, else where it
    /// was first seen (control traffic is untracked and stays on its link).
    var homeNetns: String? {
        if let ns = conntrackNetns { return ns }
        var first: Hop?
        for j in journeys {
            for h in j.hops where first.map({ h.time < $0.time }) ?? true { first = h }
        }
        return first?.point.netns
    }
}
