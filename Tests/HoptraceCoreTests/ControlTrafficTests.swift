import Testing
import HoptraceCore

@Suite struct ControlTrafficTests {
    func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    func kind(_ proto: UInt8, _ src: String, _ dst: String, sport: UInt16 = 0, dport: UInt16 = 0,
              echo: Bool = false) -> ControlTraffic? {
        ControlTraffic.classify(proto: proto, src: ip(src), dst: ip(dst), sport: sport, dport: dport, echo: echo)
    }

    @Test func linkLocalControlIsRecognised() {
        #expect(kind(58, "fe80::1", "ff02::2") == .nd)  // router solicitation
        #expect(kind(58, "fe80::1", "ff02::1") == .nd)  // router advertisement
        #expect(kind(58, "::", "ff02::1:ff00:1") == .nd)  // duplicate address detection
        #expect(kind(58, "fe80::2", "fe80::1") == .nd)  // unicast neighbour advertisement
        #expect(kind(58, "fe80::1", "ff02::16") == .mld)  // MLDv2 report
        #expect(kind(2, "172.18.0.1", "224.0.0.22") == .igmp)
        #expect(kind(2, "172.18.0.1", "239.1.2.3") == .igmp)  // IGMP is control whatever the group
        #expect(kind(17, "0.0.0.0", "255.255.255.255", sport: 68, dport: 67) == .dhcp)
        #expect(kind(17, "172.18.0.1", "172.18.0.3", sport: 67, dport: 68) == .dhcp)
        #expect(kind(17, "fe80::1", "ff02::1:2", sport: 546, dport: 547) == .dhcp)
        #expect(kind(17, "172.18.0.3", "224.0.0.251", sport: 5353, dport: 5353) == .linkLocal)  // mDNS
        #expect(kind(17, "fe80::1", "ff02::fb", sport: 5353, dport: 5353) == .linkLocal)
        #expect(kind(112, "172.18.0.2", "224.0.0.18") == .linkLocal)  // VRRP
        #expect(kind(17, "172.18.0.3", "255.255.255.255", sport: 40000, dport: 9) == .linkLocal)
    }

    @Test func flowsSomeoneStartedAreNot() {
        #expect(kind(1, "172.18.0.3", "172.31.45.174", sport: 7, dport: 7, echo: true) == nil)
        #expect(kind(58, "fe80::1", "fe80::2", sport: 7, dport: 7, echo: true) == nil)  // ping6 to a neighbour
        #expect(kind(58, "2001:db8::1", "2001:db8::2") == nil)
        #expect(kind(6, "172.31.45.174", "172.31.39.53", sport: 48444, dport: 80) == nil)
        #expect(kind(17, "172.18.0.3", "1.1.1.1", sport: 40000, dport: 53) == nil)
        #expect(kind(17, "172.18.0.3", "1.1.1.1", sport: 67, dport: 53) == nil)  // one DHCP port is not DHCP
        #expect(kind(17, "172.18.0.3", "239.255.255.250", sport: 40000, dport: 1900) == nil)  // SSDP: not link scope
        #expect(kind(17, "2001:db8::1", "ff05::1:3", sport: 546, dport: 5000) == nil)  // site scope
    }

    @Test func addressScopes() {
        #expect(ip("224.0.0.251").isLinkScopeMulticastOrBroadcast)
        #expect(!ip("224.0.1.1").isLinkScopeMulticastOrBroadcast)
        #expect(ip("255.255.255.255").isLinkScopeMulticastOrBroadcast)
        #expect(!ip("172.18.0.255").isLinkScopeMulticastOrBroadcast)  // a subnet's broadcast needs its prefix
        #expect(ip("ff02::2").isLinkScopeMulticastOrBroadcast)
        #expect(ip("ff12::1").isLinkScopeMulticastOrBroadcast)  // transient, link scope
        #expect(ip("ff01::1").isLinkScopeMulticastOrBroadcast)  // interface scope
        #expect(!ip("ff05::2").isLinkScopeMulticastOrBroadcast)
        #expect(ip("fe80::1").isLinkLocalUnicast)
        #expect(ip("febf::1").isLinkLocalUnicast)
        #expect(!ip("fec0::1").isLinkLocalUnicast)  // outside fe80::/10
        #expect(ip("169.254.1.1").isLinkLocalUnicast)
        #expect(ip("::").isUnspecified && ip("0.0.0.0").isUnspecified && !ip("::1").isUnspecified)
    }
}
