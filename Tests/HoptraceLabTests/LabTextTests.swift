import Testing
@testable import HoptraceLab

@Suite struct LabTextTests {
    @Test func failedCommandsQuoteTheCommandAndStderr() {
        let e = LabError.commandFailed(command: ["ip", "-n", "x", "link", "add", "a b"], status: 2, stderr: "RTNETLINK answers: File exists\n")
        #expect(e.description == "command failed (exit 2): ip -n x link add 'a b'\n  RTNETLINK answers: File exists")
    }

    @Test func parsesIpJsonWithPeersAndMasters() throws {
        let json = """
            [{"ifindex":2,"link_index":5,"ifname":"veth1","operstate":"UP","master":"docker1","link_netnsid":0,\
            "linkinfo":{"info_kind":"veth"},"addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64}]},\
            {"ifindex":3,"ifname":"docker1","operstate":"UP","linkinfo":{"info_kind":"bridge"},\
            "addr_info":[{"family":"inet","local":"172.18.0.1","prefixlen":24}]}]
            """
        let links = try IPJSON.links(json)
        #expect(links.count == 2)
        #expect(links[0].link.name == "veth1" && links[0].link.master == "docker1" && links[0].link.kind == "veth")
        #expect(links[0].peerIndex == 5 && links[0].peerNsid == 0)
        #expect(links[1].link.addresses == ["172.18.0.1/24"])
        #expect(IPJSON.nsids("nsid 0 (iproute2 netns name: htns1)\nnsid 3 (iproute2 netns name: htremote)\n") == [0: "htns1", 3: "htremote"])
    }

    @Test func statusRendersOneLinePerFact() {
        var s = NamespaceStatus(name: "hthost", exists: true)
        s.links = [.init(name: "veth1", kind: "veth", state: "UP", master: "docker1", peer: "eth0 in htns1", addresses: [])]
        s.routes = ["default via 172.18.0.1 dev eth0"]
        s.sysctls = [("net.ipv4.ip_forward", "1")]
        #expect(s.render() == """
            hthost
              link veth1 veth UP peer eth0 in htns1 master docker1
              route default via 172.18.0.1 dev eth0
              sysctl net.ipv4.ip_forward = 1

            """)
        #expect(NamespaceStatus(name: "htns9", exists: false).render() == "htns9: not present\n")
    }
}
