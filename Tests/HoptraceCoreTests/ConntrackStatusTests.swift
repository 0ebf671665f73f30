import Testing
@testable import HoptraceCore

@Suite struct ConntrackStatusTests {
    @Test func namesFollowTheKernelBitsInOrder() {
        // Spelled out here (linux/netfilter/nf_conntrack_common.h), not read from the table.
        #expect(ConntrackStatus(rawValue: 0xFFFF).names == [
            "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SEQ_ADJUST", "SRC_NAT_DONE",
            "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT", "TEMPLATE", "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD",
        ])
        let s: ConntrackStatus = [.dstNAT, .seenReply, .confirmed]
        #expect(s.names == ["SEEN_REPLY", "CONFIRMED", "DST_NAT"])
        #expect(s.rawValue == 1 << 1 | 1 << 3 | 1 << 5)
    }

    @Test func bitsWithoutANameAreKeptButNotListed() {
        let s = ConntrackStatus(rawValue: 1 << 16 | 1 << 2)
        #expect(s.names == ["ASSURED"])
        #expect(s.rawValue == 1 << 16 | 1 << 2)
        #expect(ConntrackStatus(rawValue: 1 << 20).isDisjoint(with: .named))
        #expect(ConntrackStatus(rawValue: 1 << 20).names.isEmpty)
    }
}
