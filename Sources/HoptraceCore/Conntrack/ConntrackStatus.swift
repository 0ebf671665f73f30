/// A conntrack entry's status: the kernel's IPS_* bits (linux/netfilter/nf_conntrack_common.h,
/// `enum ip_conntrack_status`), as conntrack events and nftables traces carry them. Logic asks
/// `contains(.seenReply)`; only output spells the bits, through `names`. Bits the kernel has
/// not assigned (16 and up) are kept, so a recording replays the word it recorded.
public struct ConntrackStatus: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let expected = ConntrackStatus(rawValue: 1 << 0)
    public static let seenReply = ConntrackStatus(rawValue: 1 << 1)
    public static let assured = ConntrackStatus(rawValue: 1 << 2)
    public static let confirmed = ConntrackStatus(rawValue: 1 << 3)
    public static let srcNAT = ConntrackStatus(rawValue: 1 << 4)
    public static let dstNAT = ConntrackStatus(rawValue: 1 << 5)
    public static let seqAdjust = ConntrackStatus(rawValue: 1 << 6)
    public static let srcNATDone = ConntrackStatus(rawValue: 1 << 7)
    public static let dstNATDone = ConntrackStatus(rawValue: 1 << 8)
    public static let dying = ConntrackStatus(rawValue: 1 << 9)
    public static let fixedTimeout = ConntrackStatus(rawValue: 1 << 10)
    public static let template = ConntrackStatus(rawValue: 1 << 11)
    /// Newer kernels also call bit 12 NAT_CLASH; output keeps the older name, UNTRACKED.
    public static let untracked = ConntrackStatus(rawValue: 1 << 12)
    public static let helper = ConntrackStatus(rawValue: 1 << 13)
    public static let offload = ConntrackStatus(rawValue: 1 << 14)
    public static let hwOffload = ConntrackStatus(rawValue: 1 << 15)

    /// Every bit with its kernel name less `IPS_`, in bit order: the order `names` lists them in.
    static let spelled: [(flag: ConntrackStatus, name: String)] = [
        (.expected, "EXPECTED"), (.seenReply, "SEEN_REPLY"), (.assured, "ASSURED"), (.confirmed, "CONFIRMED"),
        (.srcNAT, "SRC_NAT"), (.dstNAT, "DST_NAT"), (.seqAdjust, "SEQ_ADJUST"), (.srcNATDone, "SRC_NAT_DONE"),
        (.dstNATDone, "DST_NAT_DONE"), (.dying, "DYING"), (.fixedTimeout, "FIXED_TIMEOUT"), (.template, "TEMPLATE"),
        (.untracked, "UNTRACKED"), (.helper, "HELPER"), (.offload, "OFFLOAD"), (.hwOffload, "HW_OFFLOAD"),
    ]

    /// The bits `names` can spell: a status with none of them lists nothing.
    public static let named = ConntrackStatus(spelled.map(\.flag))

    /// The set bits' names in bit order, as NDJSON's `status` lists them:
    /// `["SEEN_REPLY", "CONFIRMED", "SRC_NAT"]`.
    public var names: [String] {
        var out: [String] = []
        for (flag, name) in Self.spelled where contains(flag) { out.append(name) }
        return out
    }
}
