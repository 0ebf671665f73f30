/// Traffic a link carries by itself — neighbour discovery, multicast group membership,
/// address configuration, link-scope multicast and broadcast — which nobody started and
/// which never leaves the link. On a fresh namespace it outnumbers the flows one came to
/// see, so the live view folds it away (and `watch --all` lists it).
///
/// Decided from what a flow's key holds. The ICMPv6 type is not in it (only echo keeps
/// its id in the ports), so ND and MLD are told apart by destination: MLDv2 reports go to
/// ff02::16 (RFC 3810 §5.2.14); every other link-scope ICMPv6 counts as ND (RS to ff02::2,
/// RA and MLD queries to ff02::1, NS to solicited-node groups; MLDv1 reports, sent to the
/// group itself, are indistinguishable from those and land here too). Unicast ICMPv6
/// between link-local addresses (NS/NA for reachability, redirects) is ND as well; a ping
/// between link-local addresses is not (echo).
public enum ControlTraffic: String, Sendable, CaseIterable {
    case nd = "ND"
    case mld = "MLD"
    case igmp = "IGMP"
    case dhcp = "DHCP"
    /// Anything else to or from link-scope multicast or broadcast (mDNS, LLMNR, VRRP, OSPF hellos, …).
    case linkLocal = "link-local"

    static let mldv2Reports = IPAddress("ff02::16")!
    static let dhcpPorts: ClosedRange<UInt16> = 67...68
    static let dhcpv6Ports: ClosedRange<UInt16> = 546...547

    /// nil: a flow someone started.
    public static func classify(proto: UInt8, src: IPAddress, dst: IPAddress, sport: UInt16, dport: UInt16,
                                echo: Bool) -> ControlTraffic? {
        if proto == IPProtocol.igmp { return .igmp }
        if proto == IPProtocol.udp,
           (dhcpPorts.contains(sport) && dhcpPorts.contains(dport)) || (dhcpv6Ports.contains(sport) && dhcpv6Ports.contains(dport)) {
            return .dhcp
        }
        if proto == IPProtocol.icmpv6, !echo {
            if dst.isLinkScopeMulticastOrBroadcast { return dst == mldv2Reports ? .mld : .nd }
            if dst.isLinkLocalUnicast, src.isLinkLocalUnicast || src.isUnspecified { return .nd }
        }
        if src.isLinkScopeMulticastOrBroadcast || dst.isLinkScopeMulticastOrBroadcast { return .linkLocal }
        return nil
    }
}
