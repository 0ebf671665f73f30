import Testing
import HoptraceCore

@Suite struct TopologyEgressTests {
    @Test func hostUplinkIsEnX0WithItsSubnet() throws {
        let lab = try LabTopology.topology()
        let info = try #require(lab.interfaceFacts(for: point("hthost:enX0")))
        #expect(info.isUplink)
        #expect(info.kind == .veth && info.bridge == nil)
        #expect(info.subnets == [IPPrefix(parsing: "172.31.32.0/20")!])
        #expect(info.addresses.contains(ip("172.31.39.53")))
        #expect(info.addresses.contains(ip("fe80::cc1a:5dff:feb1:a324")))
        #expect(info.source == nil)
    }

    @Test func bridgeAndBridgePortAreNotUplinks() throws {
        let lab = try LabTopology.topology()
        let docker1 = try #require(lab.interfaceFacts(for: point("hthost:docker1")))
        #expect(!docker1.isUplink && docker1.kind == .bridge)
        #expect(docker1.subnets == [IPPrefix(parsing: "172.18.0.0/24")!])
        let veth1 = try #require(lab.interfaceFacts(for: point("hthost:veth1")))
        #expect(!veth1.isUplink && veth1.bridge == "docker1")
        #expect(veth1.subnets.isEmpty)
        #expect(lab.interfaceFacts(for: point("hthost:lo"))?.isUplink == false)
        #expect(lab.interfaceFacts(for: point("hthost:nope")) == nil)
    }

    @Test func containerSourceSitsBehindDocker1() throws {
        let lab = try LabTopology.topology()
        let info = try #require(lab.interfaceFacts(for: point("hthost:enX0"), source: ip("172.18.0.3")))
        let source = try #require(info.source)
        #expect(source == SourceBridge(
            source: ip("172.18.0.3"), netns: "hthost", bridge: "docker1", port: "veth1",
            subnet: IPPrefix(parsing: "172.18.0.0/24")!))
        #expect(source.masqueradeRule == SuggestedCommand(
            netns: "hthost", ["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "172.18.0.0/24", "!", "-o", "docker1", "-j", "MASQUERADE"]))
        #expect(source.masqueradeRule.description == "ip netns exec hthost iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE")
        #expect(lab.sourceBridge(for: ip("172.18.0.2"))?.port == "veth0")
        // An address on the bridge's subnet that no namespace owns still maps to the bridge.
        #expect(lab.sourceBridge(for: ip("172.18.0.99")) == SourceBridge(
            source: ip("172.18.0.99"), netns: "hthost", bridge: "docker1", port: nil,
            subnet: IPPrefix(parsing: "172.18.0.0/24")!))
        // The uplink's own address is behind no bridge.
        #expect(lab.sourceBridge(for: ip("172.31.39.53")) == nil)
        #expect(lab.interfaceFacts(for: point("hthost:enX0"), source: ip("172.31.45.174"))?.source == nil)
    }

    /// A bridge port counts as no uplink even when it carries an address (which the kernel then ignores).
    @Test func addressedBridgePortIsStillNoUplink() throws {
        let ns = NamespaceSnapshot(
            name: "h",
            interfaces: [
                NetworkInterface(index: 2, name: "br0", kind: .bridge, addresses: [InterfaceAddress(ip("10.0.0.1"), prefixLength: 24)]),
                NetworkInterface(index: 3, name: "eth0", kind: .other, master: "br0", addresses: [InterfaceAddress(ip("192.0.2.5"), prefixLength: 24)]),
                NetworkInterface(index: 4, name: "eth1", kind: .other),
                NetworkInterface(index: 5, name: "eth2", kind: .other),
            ],
            routes: [Route(destination: IPPrefix(parsing: "0.0.0.0/0")!, gateway: ip("198.51.100.1"), dev: "eth1")])
        let topo = try Topology([ns])
        #expect(topo.interfaceFacts(for: CapturePoint(netns: "h", iface: "eth0"))?.isUplink == false)
        // Routed through without an address of its own: an uplink; neither address nor route: not one.
        #expect(topo.interfaceFacts(for: CapturePoint(netns: "h", iface: "eth1"))?.isUplink == true)
        #expect(topo.interfaceFacts(for: CapturePoint(netns: "h", iface: "eth2"))?.isUplink == false)
    }
}
