/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers") and the one table that
/// names them, so every output says `igmp` or `gre` where it used to say `proto2`.
///
/// Names are the registry's keywords in lower case, as /etc/protocols spells them, with
/// two departures: 4 is `ipip`, as Linux names it (IPPROTO_IPIP, `ip tunnel mode ipip`;
/// /etc/protocols says `ipencap` and gives `ipip` to 94, which Linux never uses, so 94
/// stays unnamed rather than named twice), and 58 is `icmp6`, hoptrace's spelling of
/// ICMPv6 in NDJSON and the live view (conntrack's own text says `icmpv6`:
/// `conntrackName` keeps that). An unassigned number is `proto<N>`.
public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let igmp: UInt8 = 2
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let esp: UInt8 = 50
    public static let icmpv6: UInt8 = 58
    public static let sctp: UInt8 = 132

    /// IPv6 next-header values that are not a transport (RFC 8200 section 4): the
    /// extension headers a decoder walks past, and the one that ends the chain.
    public static let ipv6HopByHop: UInt8 = 0
    public static let ipv6Routing: UInt8 = 43
    public static let ipv6Fragment: UInt8 = 44
    public static let ipv6NoNextHeader: UInt8 = 59
    public static let ipv6DestinationOptions: UInt8 = 60

    public static func name(_ p: UInt8) -> String { names[Int(p)] ?? "proto\(p)" }

    /// conntrack's own word for ICMPv6 (libnetfilter_conntrack prints `icmpv6 58`), the
    /// table's for the rest (where conntrack would print `unknown`): `conntrack -E` lines.
    public static func conntrackName(_ p: UInt8) -> String { p == icmpv6 ? "icmpv6" : name(p) }

    /// The transports whose ports hoptrace decodes from packets.
    public static func isTCPOrUDP(_ p: UInt8) -> Bool { p == tcp || p == udp }

    /// Indexed by number: a lookup per packet line or flow row, no hashing.
    static let names: [String?] = {
        var t = [String?](repeating: nil, count: 256)
        for (n, name) in assigned { t[Int(n)] = name }
        return t
    }()

    static let assigned: [(UInt8, String)] = [
        (1, "icmp"), (2, "igmp"), (3, "ggp"), (4, "ipip"), (5, "st"), (6, "tcp"), (8, "egp"), (9, "igp"),
        (12, "pup"), (17, "udp"), (20, "hmp"), (22, "xns-idp"), (27, "rdp"), (29, "iso-tp4"), (33, "dccp"),
        (36, "xtp"), (37, "ddp"), (38, "idpr-cmtp"), (41, "ipv6"), (43, "ipv6-route"), (44, "ipv6-frag"),
        (45, "idrp"), (46, "rsvp"), (47, "gre"), (50, "esp"), (51, "ah"), (57, "skip"), (58, "icmp6"),
        (59, "ipv6-nonxt"), (60, "ipv6-opts"), (73, "rspf"), (81, "vmtp"), (88, "eigrp"), (89, "ospf"),
        (93, "ax.25"), (97, "etherip"), (98, "encap"), (103, "pim"), (108, "ipcomp"), (112, "vrrp"),
        (115, "l2tp"), (124, "isis"), (132, "sctp"), (133, "fc"), (135, "mobility-header"), (136, "udplite"),
        (137, "mpls-in-ip"), (138, "manet"), (139, "hip"), (140, "shim6"), (141, "wesp"), (142, "rohc"),
        (143, "ethernet"),
    ]
}
