/// One namespace's links looked up in O(1), by ifindex, by name, as a bridge's ports, and by
/// the addresses they own. Why: peers, masters, addresses and path steps name links by ifindex
/// or name, and every such question used to scan the list. Resolving each veth's peer in a
/// namespace of n links then cost n², and 60,000 crafted links took 4.3 s.
/// Built once per interface list (`NamespaceSnapshot` rebuilds it whenever its list changes);
/// it holds positions in that list, never copies of the links.
/// `ip` never prints two links with one ifindex or one name, but a crafted recording may.
/// Then the first one wins, as a scan from the front would have found it.
public struct InterfaceIndex: Sendable, Equatable {
    /// How many links it was built from.
    public let count: Int
    private var byIfindex: [Int: Int] = [:]
    private var byName: [String: Int] = [:]
    /// Bridge name → its ports' positions, in list order (as `ip` printed them).
    private var portsByMaster: [String: [Int]] = [:]
    /// Every address that a link other than a loopback owns.
    private var offLoopbackAddresses: Set<IPAddress> = []

    public init(_ interfaces: [NetworkInterface]) {
        count = interfaces.count
        byIfindex.reserveCapacity(interfaces.count)
        byName.reserveCapacity(interfaces.count)
        for (position, link) in interfaces.enumerated() {
            if byIfindex[link.index] == nil { byIfindex[link.index] = position }
            if byName[link.name] == nil { byName[link.name] = position }
            if let master = link.master { portsByMaster[master, default: []].append(position) }
            if link.kind != .loopback {
                for a in link.addresses { offLoopbackAddresses.insert(a.address) }
            }
        }
    }

    /// The position of the first link with this ifindex.
    public func position(ofIfindex ifindex: Int) -> Int? { byIfindex[ifindex] }

    /// The position of the first link with this name.
    public func position(named name: String) -> Int? { byName[name] }

    /// The positions of the links whose master is `bridge`, in list order.
    public func portPositions(of bridge: String) -> [Int] { portsByMaster[bridge] ?? [] }

    /// Whether a link other than a loopback owns `address`.
    public func ownsOffLoopback(_ address: IPAddress) -> Bool { offLoopbackAddresses.contains(address) }
}
