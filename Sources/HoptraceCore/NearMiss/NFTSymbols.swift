/// nft's own words for the values rules compare (its symbol tables: `ct_state_tbl`,
/// `ct_status_tbl`, `icmp_type_tbl`, `icmp6_type_tbl`, and /etc/protocols for `meta l4proto`),
/// both ways: nft's JSON writes these names, and a corrected rule must say them back.
enum NFTSymbols {
    /// IANA numbers of the other transports nft reads ports from (`IPProtocol` names them, without constants).
    static let dccp: UInt8 = 33
    static let udplite: UInt8 = 136

    static func ctState(_ name: String) -> CtState? { CtState(rawValue: name) }

    /// `ct status` flag names; bits as `ConntrackStatus` has them.
    static let ctStatus: [String: ConntrackStatus] = [
        "expected": .expected, "seen-reply": .seenReply, "assured": .assured, "confirmed": .confirmed,
        "snat": .srcNAT, "dnat": .dstNAT, "dying": .dying,
    ]

    /// "tcp", "ipv6-icmp" (nft's name for 58, from /etc/protocols), or a number.
    static func l4proto(_ name: String) -> UInt8? {
        if let n = UInt8(name) { return n }
        if name == "ipv6-icmp" || name == "icmpv6" { return IPProtocol.icmpv6 }
        return IPProtocol.assigned.first { $0.1 == name }?.0
    }

    static func l4protoName(_ p: UInt8) -> String {
        p == IPProtocol.icmpv6 ? "ipv6-icmp" : IPProtocol.name(p)
    }

    static let icmpTypes: [(UInt8, String)] = [
        (0, "echo-reply"), (3, "destination-unreachable"), (4, "source-quench"), (5, "redirect"),
        (8, "echo-request"), (9, "router-advertisement"), (10, "router-solicitation"), (11, "time-exceeded"),
        (12, "parameter-problem"), (13, "timestamp-request"), (14, "timestamp-reply"), (15, "info-request"),
        (16, "info-reply"), (17, "address-mask-request"), (18, "address-mask-reply"),
    ]

    static let icmpv6Types: [(UInt8, String)] = [
        (1, "destination-unreachable"), (2, "packet-too-big"), (3, "time-exceeded"), (4, "parameter-problem"),
        (128, "echo-request"), (129, "echo-reply"), (130, "mld-listener-query"), (131, "mld-listener-report"),
        (132, "mld-listener-done"), (133, "nd-router-solicit"), (134, "nd-router-advert"),
        (135, "nd-neighbor-solicit"), (136, "nd-neighbor-advert"), (137, "nd-redirect"),
        (138, "router-renumbering"), (141, "ind-neighbor-solicit"), (142, "ind-neighbor-advert"),
        (143, "mld2-listener-report"),
    ]

    static func icmpType(_ name: String, v6: Bool) -> UInt8? {
        if let n = UInt8(name) { return n }
        return (v6 ? icmpv6Types : icmpTypes).first { $0.1 == name }?.0
    }

    static func icmpTypeName(_ t: UInt8, v6: Bool) -> String {
        (v6 ? icmpv6Types : icmpTypes).first { $0.0 == t }?.1 ?? String(t)
    }
}
