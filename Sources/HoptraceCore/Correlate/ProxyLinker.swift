/// Pairs the two flows of a connection a userland proxy relays: the client's, to a published
/// port, which the proxy answers in user space (no DNAT in its NAT list), and the proxy's own,
/// from an address of its namespace to the container. The kernel keeps no tie between the two
/// sockets; hoptrace pairs them by proxy and time: the upstream flow starts within `window` of
/// the client's, and the nearest unpaired one wins (more than one candidate is said).
public struct ProxyLinker: Sendable {
    public let proxies: [UserlandProxy]
    /// Seconds between a client connection and the proxy's connection for it, at most.
    public static let window = 5.0

    private struct Open { var flow: Int; var time: EventTime; var proxy: Int; var upstream: String? }
    private var clients: [Open] = []
    private var upstreams: [Open] = []
    /// Unpaired flows kept at most: the oldest go first.
    static let bound = 1024

    public init(proxies: [UserlandProxy]) {
        // One per listener: docker-proxy runs twice per port (0.0.0.0 and ::) with the same target.
        var seen: [UserlandProxy] = []
        for p in proxies.sorted(by: { $0.pid < $1.pid }) where !seen.contains(where: {
            $0.netns == p.netns && $0.proto == p.proto && $0.hostIP == p.hostIP && $0.hostPort == p.hostPort
        }) { seen.append(p) }
        self.proxies = seen
    }

    /// The links `f` makes, for `f` and for the flow it pairs with (both to be annotated).
    /// `owns` says whether an address is one of a namespace's own (the proxy listens there; its
    /// upstream connection starts there): the topology answers it.
    public mutating func link(_ f: Flow, at time: EventTime, owns: (String?, IPAddress) -> Bool) -> [(flow: Int, link: ProxyLink)] {
        // A flow already linked carries its link: its later changes do not link it again.
        guard !proxies.isEmpty, f.proxy == nil, [IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp].contains(f.proto) else { return [] }
        // Judged once conntrack has named the flow in the proxy's namespace: until then a packet
        // to the published port could still turn out DNATed (then iptables, not the proxy, took it).
        guard f.conntrackID != nil else { return [] }
        let key = f.orig
        if let i = proxies.firstIndex(where: { isClient(key, of: $0, owns) && f.conntrackNetns == $0.netns }),
           !f.conntrackStatus.contains(.dstNAT), !f.nat.contains(where: { $0.kind == .dnat }) {
            let window = EventTime.micros(seconds: Self.window)
            let near = upstreams.indices.filter { upstreams[$0].proxy == i && abs(upstreams[$0].time.micros(since: time)) <= window }
            guard let u = near.min(by: { abs(upstreams[$0].time.micros(since: time)) < abs(upstreams[$1].time.micros(since: time)) }) else {
                remember(&clients, Open(flow: f.id, time: time, proxy: i))
                return [(f.id, ProxyLink(role: .client, proxy: proxies[i], peerFlow: nil, upstream: nil))]
            }
            let up = upstreams.remove(at: u)
            return pair(client: f.id, upstream: up.flow, text: up.upstream, proxy: i, candidates: near.count)
        }
        if let i = proxies.firstIndex(where: { isUpstream(key, of: $0, owns) && f.conntrackNetns == $0.netns }) {
            let text = "\(key.src) → \(key.dst):\(key.dport)"
            let window = EventTime.micros(seconds: Self.window)
            let near = clients.indices.filter { clients[$0].proxy == i && abs(clients[$0].time.micros(since: time)) <= window }
            guard let c = near.min(by: { abs(clients[$0].time.micros(since: time)) < abs(clients[$1].time.micros(since: time)) }) else {
                remember(&upstreams, Open(flow: f.id, time: time, proxy: i, upstream: text))
                return [(f.id, ProxyLink(role: .upstream, proxy: proxies[i], peerFlow: nil, upstream: text))]
            }
            let client = clients.remove(at: c)
            return pair(client: client.flow, upstream: f.id, text: text, proxy: i, candidates: near.count)
        }
        return []
    }

    private func pair(client: Int, upstream: Int, text: String?, proxy i: Int, candidates: Int) -> [(flow: Int, link: ProxyLink)] {
        [(client, ProxyLink(role: .client, proxy: proxies[i], peerFlow: upstream, upstream: text, candidates: candidates)),
         (upstream, ProxyLink(role: .upstream, proxy: proxies[i], peerFlow: client, upstream: text, candidates: candidates))]
    }

    private func remember(_ list: inout [Open], _ o: Open) {
        list.append(o)
        if list.count > Self.bound { list.removeFirst(list.count - Self.bound) }
    }

    /// To the published port at an address of the proxy's namespace (or the one it listens on).
    private func isClient(_ k: FlowKey, of p: UserlandProxy, _ owns: (String?, IPAddress) -> Bool) -> Bool {
        guard k.proto == p.proto, k.dport == p.hostPort else { return false }
        if let h = p.hostIP { return k.dst == h }
        return owns(p.netns, k.dst)
    }

    /// From an address of the proxy's namespace to the container's port.
    private func isUpstream(_ k: FlowKey, of p: UserlandProxy, _ owns: (String?, IPAddress) -> Bool) -> Bool {
        k.proto == p.proto && k.dst == p.containerIP && k.dport == p.containerPort && owns(p.netns, k.src)
    }
}
