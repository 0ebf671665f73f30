/// One link as `ip -j -d link show` prints it (`-d` adds `linkinfo`), or as `ip -j [-d] addr show`
/// prints it with its `addr_info`:
/// `{"ifindex":4,"link_index":2,"ifname":"veth1","flags":["BROADCAST","UP"],"master":"docker1",
/// "operstate":"UP","link_type":"ether","address":"…","link_netnsid":1,"linkinfo":{"info_kind":"veth"},…}`.
/// Only the fields hoptrace reads are decoded; the snapshot and `lab status` decide what a
/// mistyped one means.
public struct IPLinkJSON: IPJSONEntry, Sendable, Hashable {
    public var ifindex: IPJSONScalar?
    public var ifname: IPJSONScalar?
    /// `["BROADCAST","MULTICAST","UP","LOWER_UP"]`; empty unless a list of strings.
    public var flags: [String]
    /// "ether", "loopback", "none"…
    public var linkType: IPJSONScalar?
    /// `linkinfo.info_kind`: "veth", "bridge", "vlan"…; nil unless `linkinfo` is an object and
    /// its `info_kind` a string.
    public var infoKind: String?
    /// The bridge (or bond) the link is a port of.
    public var master: IPJSONScalar?
    /// A veth's peer's ifindex in the peer's namespace; also a vlan's or macvlan's parent.
    public var linkIndex: IPJSONScalar?
    /// The peer's namespace, as an id in this namespace's nsid table; absent for this namespace.
    public var linkNetnsid: IPJSONScalar?
    /// The MAC address.
    public var address: IPJSONScalar?
    /// "UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN"…
    public var operstate: IPJSONScalar?
    /// The peer or parent by name, when `ip` can name it in this namespace ("veth0", "eth0").
    public var link: IPJSONScalar?
    /// `addr_info` (`ip addr` only); nil when absent.
    public var addrInfo: IPAddrInfoJSON.List?

    private enum CodingKeys: String, CodingKey {
        case ifindex, ifname, flags, linkinfo, master, address, operstate, link
        case linkType = "link_type", linkIndex = "link_index", linkNetnsid = "link_netnsid", addrInfo = "addr_info"
    }

    private enum LinkInfoKeys: String, CodingKey {
        case infoKind = "info_kind"
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        ifindex = fields.scalar(.ifindex)
        ifname = fields.scalar(.ifname)
        flags = (try? fields.decode([String].self, forKey: .flags)) ?? []
        linkType = fields.scalar(.linkType)
        let linkinfo = try? fields.nestedContainer(keyedBy: LinkInfoKeys.self, forKey: .linkinfo)
        infoKind = linkinfo.flatMap { try? $0.decode(String.self, forKey: .infoKind) }
        master = fields.scalar(.master)
        linkIndex = fields.scalar(.linkIndex)
        linkNetnsid = fields.scalar(.linkNetnsid)
        address = fields.scalar(.address)
        operstate = fields.scalar(.operstate)
        link = fields.scalar(.link)
        addrInfo = fields.addrInfo(.addrInfo)
    }
}
