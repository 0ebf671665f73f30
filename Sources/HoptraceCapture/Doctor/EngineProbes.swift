import CNetfilterConntrack
import CPcap
import Glibc

/// Preflight facts about the two C engines, for `doctor` and for every command's preflight.
public enum EngineProbes {
    /// libpcap's own version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)".
    public static var pcapVersion: String { String(cString: pcap_lib_version()) }

    /// Opens a ctnetlink socket subscribed to conntrack events in the current
    /// namespace and closes it again: proves the subscriber can run here.
    public static func conntrackNetlink() -> Result<Void, ConntrackProbeError> {
        let groups = UInt32(NF_NETLINK_CONNTRACK_NEW) | UInt32(NF_NETLINK_CONNTRACK_UPDATE)
            | UInt32(NF_NETLINK_CONNTRACK_DESTROY)
        guard let handle = nfct_open(UInt8(CONNTRACK), groups) else {
            return .failure(ConntrackProbeError(errno: errno))
        }
        nfct_close(handle)
        return .success(())
    }
}

public struct ConntrackProbeError: Error, CustomStringConvertible {
    public let errno: Int32
    public var description: String {
        "nfct_open: \(String(cString: strerror(errno)))"
            + (errno == EPROTONOSUPPORT ? " (kernel without nf_conntrack_netlink)" : "")
            + (errno == EPERM ? " (needs CAP_NET_ADMIN)" : "")
    }
}
