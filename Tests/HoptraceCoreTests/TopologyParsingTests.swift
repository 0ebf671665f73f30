import Foundation
import Testing
import HoptraceCore

@Suite struct TopologyParsingTests {
    @Test func hostLinksHaveKindsMastersAndPeers() throws {
        let host = try LabTopology.snapshot("hthost")
        let veth1 = try #require(host.interface(named: "veth1"))
        #expect(veth1.kind == .veth)
        #expect(veth1.master == "docker1")
        #expect(veth1.peer == .init(nsid: 1, ifindex: 2))
        #expect(veth1.index == 4)
        #expect(veth1.isUp)
        let docker1 = try #require(host.interface(named: "docker1"))
        #expect(docker1.kind == .bridge)
        #expect(docker1.master == nil && docker1.peer == nil)
        #expect(docker1.mac == "16:62:95:b4:35:c6")
        #expect(docker1.addresses.contains(InterfaceAddress(ip("172.18.0.1"), prefixLength: 24)))
        #expect(docker1.addresses.first?.subnet == IPPrefix(parsing: "172.18.0.0/24"))
        #expect(host.interface(named: "lo")?.kind == .loopback)
        #expect(host.interface(named: "enX0")?.master == nil)
        #expect(host.ports(of: "docker1").map(\.name) == ["veth0", "veth1"])
    }

    @Test func hostSysctlRoutesAndNsids() throws {
        let host = try LabTopology.snapshot("hthost")
        #expect(host.ipForward == true)
        #expect(try LabTopology.snapshot("htns1").ipForward == false)
        #expect(host.namespaceIDs == [0: "htns0", 1: "htns1", 2: "htremote"])
        #expect(host.routes == [
            Route(destination: IPPrefix(parsing: "172.18.0.0/24")!, dev: "docker1"),
            Route(destination: IPPrefix(parsing: "172.31.32.0/20")!, dev: "enX0"),
        ])
        let ns1 = try LabTopology.snapshot("htns1")
        #expect(ns1.routes.first == Route(destination: IPPrefix(parsing: "0.0.0.0/0")!, gateway: ip("172.18.0.1"), dev: "eth0"))
    }

    @Test func inet6AddressesAreParsedWithScope() throws {
        let ns1 = try LabTopology.snapshot("htns1")
        let eth0 = try #require(ns1.interface(named: "eth0"))
        #expect(eth0.addresses.contains(InterfaceAddress(ip("fe80::cc0a:a4ff:feb3:7935"), prefixLength: 64, scope: .link)))
        #expect(ns1.interface(named: "lo")?.addresses.contains(InterfaceAddress(ip("::1"), prefixLength: 128, scope: .host)) == true)
    }

    @Test func vethPeersResolveAcrossNamespaces() throws {
        let lab = try LabTopology.topology()
        #expect(lab.peer(of: point("hthost:veth1")) == point("htns1:eth0"))
        #expect(lab.peer(of: point("htns1:eth0")) == point("hthost:veth1"))
        #expect(lab.peer(of: point("hthost:veth0")) == point("htns0:eth0"))
        #expect(lab.peer(of: point("hthost:enX0")) == point("htremote:enX0"))
        #expect(lab.peer(of: point("htremote:enX0")) == point("hthost:enX0"))
        #expect(lab.peer(of: point("hthost:docker1")) == nil)
    }

    @Test func peerInAnUnwatchedNamespaceIsNamed() throws {
        let lab = try Topology(["htns1", "hthost"].map { try LabTopology.snapshot($0) })
        #expect(lab.peer(of: point("hthost:enX0")) == nil)
        #expect(lab.unwatchedPeerNamespace(of: point("hthost:enX0")) == "htremote")
    }

    @Test func unnamedNsidIsMatchedByThePairItself() throws {
        // Seen from the containers the host is nsid 0 without a name (as the root namespace would be).
        let lab = try LabTopology.topology { snapshots in
            for i in snapshots.indices where snapshots[i].name != "hthost" { snapshots[i].namespaceIDs = [:] }
        }
        #expect(lab.peer(of: point("htns1:eth0")) == point("hthost:veth1"))
        #expect(lab.peer(of: point("htns0:eth0")) == point("hthost:veth0"))
    }

    @Test func sameNamespacePairWithoutNetnsid() throws {
        let link = """
            [{"ifindex":7,"link_index":8,"ifname":"a","flags":["UP"],"linkinfo":{"info_kind":"veth"}},
             {"ifindex":8,"link_index":7,"ifname":"b","flags":[],"linkinfo":{"info_kind":"veth"}},
             {"ifindex":9,"link_index":7,"ifname":"vlan9","flags":["UP"],"linkinfo":{"info_kind":"vlan"}}]
            """
        let ns = try NamespaceSnapshot(
            name: nil, linkJSON: Data(link.utf8), addrJSON: Data("[]".utf8), routeJSON: Data(),
            nsidJSON: Data(), ipForward: nil)
        #expect(ns.interface(named: "b")?.isUp == false)
        #expect(ns.interface(named: "vlan9")?.peer == nil)
        #expect(ns.interface(named: "vlan9")?.kind == .other)
        let lab = try Topology([ns])
        #expect(lab.peer(of: CapturePoint(netns: nil, iface: "a")) == CapturePoint(netns: nil, iface: "b"))
    }

    @Test func routeTypesMetricsAndDefaults() throws {
        let routes = """
            [{"type":"blackhole","dst":"10.9.0.0/16","flags":[]},
             {"type":"prohibit","dst":"10.8.0.0/16","flags":[]},
             {"type":"throw","dst":"10.7.0.0/16","flags":[]},
             {"dst":"192.0.2.7","dev":"eth0","metric":100,"flags":[]},
             {"dst":"default","flags":[],"nexthops":[{"gateway":"192.0.2.1","dev":"eth0","weight":1}]}]
            """
        let ns = try NamespaceSnapshot(
            name: "x", linkJSON: Data("[]".utf8), addrJSON: Data("[]".utf8), routeJSON: Data(routes.utf8),
            nsidJSON: Data("[]".utf8), ipForward: nil,
            route6JSON: Data(#"[{"dst":"default","dev":"eth0","flags":[]}]"#.utf8))
        #expect(ns.routes.map(\.kind) == [.blackhole, .prohibit, .other("throw"), .unicast, .unicast, .unicast])
        #expect(ns.routes[3].destination == IPPrefix(parsing: "192.0.2.7/32"))
        #expect(ns.routes[3].metric == 100)
        #expect(ns.routes[4].gateway == ip("192.0.2.1") && ns.routes[4].dev == "eth0")
        #expect(ns.routes[5].destination == IPPrefix(parsing: "::/0"))
    }

    @Test func ipForwardText() {
        #expect(NamespaceSnapshot.parseIPForward("1\n") == true)
        #expect(NamespaceSnapshot.parseIPForward(" 0 ") == false)
        #expect(NamespaceSnapshot.parseIPForward("yes") == nil)
    }

    @Test(arguments: [
        ("[{\"ifindex\":1,", "link", true),
        ("{\"ifindex\":1}", "link", false),
        ("[{\"ifname\":\"eth0\"}]", "link", false),
        ("[{\"ifindex\":\"one\",\"ifname\":\"eth0\"}]", "link", false),
        ("[42]", "link", false),
        ("[{\"ifindex\":1,\"addr_info\":[{\"local\":\"300.1.1.1\",\"prefixlen\":24}]}]", "addr", false),
        ("[{\"ifindex\":1,\"addr_info\":[{\"local\":\"10.0.0.1\",\"prefixlen\":33}]}]", "addr", false),
        ("[{\"ifindex\":1,\"addr_info\":\"none\"}]", "addr", false),
        ("[{\"dst\":\"10.0.0.0/99\",\"dev\":\"eth0\"}]", "route", false),
        ("[{\"dev\":\"eth0\"}]", "route", false),
        ("[{\"dst\":\"default\",\"gateway\":\"nope\"}]", "route", false),
        ("[{\"nsid\":\"zero\"}]", "nsid", false),
        ("not json", "nsid", true),
    ])
    func malformedInputThrowsAndNamesTheCommand(json: String, part: String, notJSON: Bool) {
        let bad = Data(json.utf8), ok = Data("[]".utf8)
        do {
            _ = try NamespaceSnapshot(
                name: "htns9", linkJSON: part == "link" ? bad : ok, addrJSON: part == "addr" ? bad : ok,
                routeJSON: part == "route" ? bad : ok, nsidJSON: part == "nsid" ? bad : ok, ipForward: nil)
            Issue.record("accepted \(json)")
        } catch {
            switch error {
            case .malformedJSON(let ns, let source, _):
                #expect(notJSON && ns == "htns9" && source.contains(part == "nsid" ? "netns" : part))
            case .unexpectedShape(let ns, let source, _):
                #expect(!notJSON && ns == "htns9" && source.contains(part == "nsid" ? "netns" : part))
            default:
                Issue.record("unexpected \(error)")
            }
            #expect(error.description.hasPrefix("htns9: "))
        }
    }

    @Test func duplicateNamespacesAreRefused() throws {
        let ns1 = try LabTopology.snapshot("htns1")
        #expect(throws: TopologyError.duplicateNamespace("htns1")) { try Topology([ns1, ns1]) }
    }
}
