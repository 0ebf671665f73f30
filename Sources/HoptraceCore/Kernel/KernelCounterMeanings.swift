// MARK: - What the counters mean

extension KernelCounters {
    /// What one counter says, for a verdict to cite. `countedIn` names where the kernel moves it
    /// (read in recent mainline source); the lab measurements on Linux 6.18 behind the notes are
    /// in Tests/Fixtures/kernel/README.md.
    public struct Meaning: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// The packet was dropped where this was counted.
            case drop
            /// An ICMP error this namespace sent about a packet it dropped. ICMP errors are
            /// rate-limited per destination (burst of 6, then 1 a second) except "fragmentation
            /// needed", so these may count fewer than the drops.
            case icmpSent
            /// An ICMP error that came back: the sender's side of a drop further on.
            case icmpReceived
            /// An ICMP error the namespace did not send because of a rate limit.
            case icmpHeldBack
            /// A sign of trouble, not a drop by itself (conntrack's bookkeeping).
            case sign
            /// Packets that went on; the denominators next to the drops.
            case traffic
            /// A level (a size, a setting), not a count: see `levels`.
            case level
        }

        public let key: String
        public let kind: Kind
        /// One line, for a verdict.
        public let meaning: String
        /// The kernel function (and file) that moves it.
        public let countedIn: String

        public init(_ key: String, _ kind: Kind, _ meaning: String, countedIn: String) {
            self.key = key
            self.kind = kind
            self.meaning = meaning
            self.countedIn = countedIn
        }
    }

    /// The counters that matter for drops, each once.
    public static let meanings: [Meaning] = [
        // Receiving and routing (net/ipv4/ip_input.c, net/ipv4/route.c).
        Meaning(
            "Ip.InReceives", .traffic, "IPv4 datagrams received from the interfaces",
            countedIn: "ip_rcv_core (ip_input.c)"),
        Meaning(
            "Ip.InHdrErrors", .drop,
            "dropped: bad IPv4 header, or a forwarded packet's TTL ran out here (one per packet, ICMP sent or not)",
            countedIn: "ip_rcv_core, ip_rcv_options (ip_input.c); ip_forward, too_many_hops (ip_forward.c)"),
        Meaning(
            "Ip.InAddrErrors", .drop,
            "dropped: not for this namespace, and its input interface does not forward (ip_forward=0), route or not",
            countedIn: "ip_error (route.c), EHOSTUNREACH set by ip_route_input_slow when forwarding is off"),
        Meaning(
            "IpExt.InNoRoutes", .drop,
            "dropped: no route to forward it to (ICMP net unreachable sent, rate-limited)",
            countedIn: "ip_error (route.c), ENETUNREACH from the FIB lookup with forwarding on"),
        Meaning(
            "Ip.InDiscards", .drop,
            "dropped for lack of resources (memory, an skb copy), not for anything in the packet",
            countedIn: "ip_rcv_core, ip_rcv_options (ip_input.c)"),
        Meaning(
            "TcpExt.IPReversePathFilter", .drop,
            "dropped by reverse-path filtering (rp_filter): the source does not route back through the input interface",
            countedIn: "ip_rcv_finish_core (ip_input.c), when the input route lookup fails with IP_RPFILTER (-EXDEV)"),
        Meaning(
            "Ip.Forwarding", .level, "1 when this namespace forwards IPv4 (ip_forward=1), 2 when it does not",
            countedIn: "snmp_seq_show_ipstats (proc.c)"),

        // Forwarding and sending (net/ipv4/ip_forward.c, net/ipv4/ip_output.c).
        Meaning(
            "Ip.ForwDatagrams", .traffic,
            "datagrams this namespace began to forward: counted before the MTU check and the FORWARD hook (since commit cf8b49fbd041, 2023), so it includes packets dropped there",
            countedIn: "ip_forward (ip_forward.c)"),
        Meaning(
            "Ip.FragFails", .drop,
            "dropped: too big for the next hop's MTU with DF set (fragmentation needed, ICMP sent unthrottled), or could not be fragmented",
            countedIn: "ip_forward, ip_exceeds_mtu (ip_forward.c); ip_fragment, ip_do_fragment (ip_output.c)"),
        Meaning(
            "Ip.FragOKs", .traffic, "datagrams fragmented to fit the next hop's MTU (DF clear): not a drop",
            countedIn: "ip_do_fragment (ip_output.c)"),
        Meaning(
            "Ip.FragCreates", .traffic, "fragments created to fit the next hop's MTU",
            countedIn: "ip_do_fragment (ip_output.c)"),
        Meaning(
            "Ip.OutRequests", .traffic,
            "datagrams this namespace's own stack sent, its ICMP errors included (raw IP_HDRINCL sends are not counted)",
            countedIn: "__ip_local_out (ip_output.c)"),
        Meaning(
            "Ip.OutTransmits", .traffic, "datagrams handed to the link layer, forwarded ones included",
            countedIn: "ip_finish_output2 (ip_output.c)"),
        Meaning(
            "Ip.OutNoRoutes", .drop,
            "a local send found no route: the socket got ENETUNREACH (\"Network is unreachable\")",
            countedIn: "udp_sendmsg (udp.c), __ip4_datagram_connect (datagram.c), tcp_v4_connect (tcp_ipv4.c), __ip_queue_xmit (ip_output.c)"),

        // ICMP (net/ipv4/icmp.c): the errors a drop sends, and their limits.
        Meaning(
            "Icmp.OutMsgs", .traffic, "ICMP messages sent, errors included",
            countedIn: "icmp_out_count (icmp.c)"),
        Meaning(
            "Icmp.OutDestUnreachs", .icmpSent,
            "ICMP destination unreachable sent: no route, fragmentation needed, a reject, no listener",
            countedIn: "icmp_send → icmp_out_count (icmp.c)"),
        Meaning(
            "IcmpMsg.OutType3", .icmpSent, "ICMP type 3 (destination unreachable) sent",
            countedIn: "icmp_out_count (icmp.c)"),
        Meaning(
            "Icmp.OutTimeExcds", .icmpSent,
            "TTL expired: ICMP time exceeded sent (or a reassembly timed out)",
            countedIn: "ip_forward, too_many_hops → icmp_send (ip_forward.c); ip_expire (ip_fragment.c)"),
        Meaning(
            "IcmpMsg.OutType11", .icmpSent, "ICMP type 11 (time exceeded) sent",
            countedIn: "icmp_out_count (icmp.c)"),
        Meaning(
            "Icmp.OutRateLimitHost", .icmpHeldBack,
            "ICMP errors not sent: over the per-destination limit (net.ipv4.icmp_ratelimit)",
            countedIn: "icmpv4_xrlim_allow (icmp.c)"),
        Meaning(
            "Icmp.OutRateLimitGlobal", .icmpHeldBack,
            "ICMP errors not sent: over the namespace-wide limit (net.ipv4.icmp_msgs_per_sec)",
            countedIn: "the global ICMP limit in icmp.c"),
        Meaning(
            "Icmp.InDestUnreachs", .icmpReceived,
            "ICMP destination unreachable received: no route, fragmentation needed or a reject further on",
            countedIn: "icmp_rcv (icmp.c)"),
        Meaning(
            "IcmpMsg.InType3", .icmpReceived, "ICMP type 3 (destination unreachable) received",
            countedIn: "icmp_rcv (icmp.c)"),
        Meaning(
            "Icmp.InTimeExcds", .icmpReceived, "ICMP time exceeded received: a TTL ran out further on",
            countedIn: "icmp_rcv (icmp.c)"),
        Meaning(
            "IcmpMsg.InType11", .icmpReceived, "ICMP type 11 (time exceeded) received",
            countedIn: "icmp_rcv (icmp.c)"),

        // Conntrack (net/netfilter/nf_conntrack_core.c), summed over CPUs.
        Meaning(
            "nf_conntrack.drop", .drop,
            "dropped by conntrack: no entry could be made (table full with nothing to evict), an unresolved clash, or the tracker said drop",
            countedIn: "nf_conntrack_in, nf_ct_resolve_clash (nf_conntrack_core.c)"),
        Meaning(
            "nf_conntrack.insert_failed", .drop,
            "dropped: a new entry clashed with one inserted meanwhile (parallel first packets, e.g. UDP DNS) and the clash was not resolved",
            countedIn: "__nf_conntrack_confirm, nf_ct_resolve_clash (nf_conntrack_core.c)"),
        Meaning(
            "nf_conntrack.early_drop", .sign,
            "table full: an entry not yet assured was evicted to make room (the new packet passed)",
            countedIn: "early_drop, from __nf_conntrack_alloc (nf_conntrack_core.c)"),
        Meaning(
            "nf_conntrack.invalid", .sign,
            "conntrack could not track the packet (bad flags, out of window, nothing to pick up): INVALID, dropped only by a rule that drops INVALID",
            countedIn: "nf_conntrack_in (nf_conntrack_core.c)"),
        Meaning(
            "nf_conntrack.icmp_error", .sign,
            "ICMP errors conntrack could not relate to a tracked connection, or malformed ones",
            countedIn: "nf_conntrack_handle_icmp (nf_conntrack_core.c)"),
        Meaning(
            "nf_conntrack.search_restart", .sign,
            "a table lookup restarted because the table changed under it: not a drop",
            countedIn: "____nf_conntrack_find (nf_conntrack_core.c)"),
        Meaning(
            "nf_conntrack.entries", .level,
            "entries in this namespace's table (the stat file's largest reading)",
            countedIn: "ct_cpu_seq_show, nf_conntrack_count (nf_conntrack_standalone.c)"),
        Meaning(
            "nf_conntrack.count", .level, "entries in this namespace's table",
            countedIn: "nf_conntrack_count sysctl (nf_conntrack_standalone.c)"),
        Meaning(
            "nf_conntrack.max", .level,
            "the table's limit; past it new connections are dropped (nf_conntrack.drop). Read-only outside the initial namespace",
            countedIn: "nf_conntrack_max sysctl (nf_conntrack_standalone.c)"),
    ]

    /// The meaning of `key`, if `meanings` has it.
    public static func meaning(of key: String) -> Meaning? { meaningsByKey[key] }

    /// The keys whose counting means the packet was dropped there.
    public static var dropKeys: [String] { meanings.filter { $0.kind == .drop }.map(\.key) }

    static let meaningsByKey: [String: Meaning] = Dictionary(
        meanings.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
}
