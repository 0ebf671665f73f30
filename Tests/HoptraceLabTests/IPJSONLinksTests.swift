import Testing
@testable import HoptraceLab

/// `lab status` reads `ip -j -d addr show` as leniently as when JSONSerialization read it: a
/// field of another type shows as "?" or not at all, output that is no list of objects shows no
/// links, and only output that is not JSON is an error.
@Suite struct IPJSONLinksTests {
    @Test func fieldsOfAnotherTypeShowAsUnknown() throws {
        let json = """
            [{"ifindex":"2","ifname":5,"operstate":null,"link_type":"ether","linkinfo":"veth","master":1,"link":"eth0",\
            "link_index":"5","link_netnsid":true,"unknown":{"x":[1,2]},\
            "addr_info":[{"local":"10.0.0.1","prefixlen":"24"},{"local":7,"prefixlen":8},{"local":"10.0.0.2","prefixlen":8}]},\
            {"ifindex":3,"ifname":"lo","link_type":7,"addr_info":"none"}]
            """
        let links = try IPJSON.links(json)
        #expect(links == [
            IPJSON.RawLink(
                ifindex: 0,
                link: .init(name: "?", kind: "ether", state: "?", master: nil, peer: "eth0", addresses: ["10.0.0.2/8"]),
                peerIndex: nil, peerNsid: 1),
            IPJSON.RawLink(
                ifindex: 3, link: .init(name: "lo", kind: "?", state: "?", master: nil, peer: nil, addresses: []),
                peerIndex: nil, peerNsid: nil),
        ])
    }

    @Test func outputThatIsNoListOfObjectsShowsNoLinks() throws {
        #expect(try IPJSON.links(#"{"ifindex":1,"ifname":"lo"}"#).isEmpty)
        #expect(try IPJSON.links(#"[{"ifindex":1,"ifname":"lo"},1]"#).isEmpty)
        #expect(try IPJSON.links("[]").isEmpty)
    }

    @Test func outputThatIsNotJSONIsAnError() {
        for json in ["", "not json", #"[{"ifindex":1,"ifname":"lo"}"#, #"[{"ifindex":01}]"#, "null"] {
            #expect(throws: (any Error).self, "\(json)") { try IPJSON.links(json) }
        }
    }
}
