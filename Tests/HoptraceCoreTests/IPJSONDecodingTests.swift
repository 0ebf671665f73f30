import Foundation
import HoptraceCore
import Testing

/// `ip -j` output decoded with JSONDecoder into typed entries (`IPLinkJSON`, `IPRouteJSON`,
/// `IPNetnsIDJSON`) builds the snapshot JSONSerialization's `[String: Any]` trees built: the same
/// mistyped fields refused with the same words, the same ones ignored, the same documents
/// refused. Where it can, JSONSerialization itself says what the answer was.
@Suite struct IPJSONDecodingTests {
    static let sources = [
        "link": "ip -j -d link show", "addr": "ip -j addr show",
        "route": "ip -j route show table main", "nsid": "ip -j netns list-id",
    ]

    static func build(
        link: String = "[]", addr: String = "[]", route: String = "[]", nsid: String = "[]"
    ) -> Result<NamespaceSnapshot, TopologyError> {
        do {
            let snapshot = try NamespaceSnapshot(
                name: "t9", linkJSON: Data(link.utf8), addrJSON: Data(addr.utf8), routeJSON: Data(route.utf8),
                nsidJSON: Data(nsid.utf8), ipForward: nil)
            return .success(snapshot)
        } catch {
            return .failure(error)
        }
    }

    static func build(_ part: String, _ json: String) -> Result<NamespaceSnapshot, TopologyError> {
        switch part {
        case "link": build(link: json)
        case "addr": build(addr: json)
        case "route": build(route: json)
        default: build(nsid: json)
        }
    }

    /// What JSONSerialization, which read `ip -j` before, made of `json` after the same repair.
    static func oldParse(_ json: String) -> Any? {
        try? JSONSerialization.jsonObject(with: IPJSONRepair.repaired(Data(json.utf8)))
    }

    /// JSONSerialization's error for `json`, as the snapshot worded it; nil when it parsed.
    static func oldError(_ json: String) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: IPJSONRepair.repaired(Data(json.utf8)))
            return nil
        } catch {
            return error.localizedDescription
        }
    }

    // MARK: - Fields of the wrong type

    @Test(arguments: [
        ("link", #"[{"ifindex":"1","ifname":"a"}]"#, "'ifindex' is not an integer"),
        ("link", #"[{"ifindex":1.5,"ifname":"a"}]"#, "'ifindex' is not an integer"),
        ("link", #"[{"ifindex":null,"ifname":"a"}]"#, "'ifindex' is not an integer"),
        ("link", #"[{"ifindex":1,"ifname":7}]"#, "'ifname' is not a string"),
        ("link", #"[{"ifindex":1,"ifname":"a","link_type":{}}]"#, "'link_type' is not a string"),
        ("link", #"[{"ifindex":1,"ifname":"a","master":null}]"#, "'master' is not a string"),
        ("link", #"[{"ifindex":1,"ifname":"a","address":["aa"]}]"#, "'address' is not a string"),
        ("link", #"[{"ifindex":1,"ifname":"a","link_index":"2","linkinfo":{"info_kind":"veth"}}]"#, "'link_index' is not an integer"),
        ("link", #"[{"ifindex":1,"ifname":"a","link_index":2,"link_netnsid":"0","linkinfo":{"info_kind":"veth"}}]"#,
         "'link_netnsid' is not an integer"),
        ("addr", #"[{"ifindex":"1"}]"#, "'ifindex' is not an integer"),
        ("addr", #"[{"ifindex":1,"addr_info":null}]"#, "'addr_info' is not a list of objects"),
        ("addr", #"[{"ifindex":1,"addr_info":[{},1]}]"#, "'addr_info' is not a list of objects"),
        ("addr", #"[{"ifindex":1,"addr_info":[{"local":10}]}]"#, "'local' is not a string"),
        ("addr", #"[{"ifindex":1,"addr_info":[{"local":"10.0.0.1","prefixlen":"24"}]}]"#, "'prefixlen' is not an integer"),
        ("addr", #"[{"ifindex":1,"addr_info":[{"local":"10.0.0.1","prefixlen":24,"scope":0}]}]"#, "'scope' is not a string"),
        ("route", #"[{"dst":1}]"#, "'dst' is not a string"),
        ("route", #"[{"dst":"default","gateway":false}]"#, "'gateway' is not a string"),
        ("route", #"[{"dst":"default","dev":null}]"#, "'dev' is not a string"),
        ("route", #"[{"dst":"default","nexthops":[{"dev":1}]}]"#, "'dev' is not a string"),
        ("route", #"[{"dst":"10.0.0.0/8","type":1}]"#, "'type' is not a string"),
        ("route", #"[{"dst":"10.0.0.0/8","metric":"100"}]"#, "'metric' is not an integer"),
        ("nsid", #"[{"nsid":null}]"#, "'nsid' is not an integer"),
        ("nsid", #"[{"nsid":0,"name":0}]"#, "'name' is not a string"),
    ])
    func aFieldOfTheWrongTypeIsRefusedWhereItWas(part: String, json: String, detail: String) {
        let expected = TopologyError.unexpectedShape(netns: "t9", source: Self.sources[part]!, detail: detail)
        #expect(Self.build(part, json) == .failure(expected), "\(json)")
    }

    /// `flags`, `linkinfo`, `nexthops` and an address without `local` were read with a default
    /// (`as? [String] ?? []`, `as? [String: Any]`…): another type there is no error.
    @Test func aFieldReadWithADefaultIgnoresAValueOfAnotherType() throws {
        let link = #"""
            [{"ifindex":1,"ifname":"a","flags":["UP",1]},
             {"ifindex":2,"ifname":"b","flags":"UP"},
             {"ifindex":3,"ifname":"c","flags":null,"linkinfo":"veth","link_index":"x"},
             {"ifindex":4,"ifname":"d","flags":["UP"],"linkinfo":{"info_kind":7},"link_index":"x","link_netnsid":"y"},
             {"ifindex":5,"ifname":"e","linkinfo":null,"link_index":5}]
            """#
        let addr = #"[{"ifindex":1,"addr_info":[{"prefixlen":"x"},{"family":"inet6"},{"local":"fe80::1","prefixlen":64,"scope":"nowhere"}]}]"#
        let route = #"[{"dst":"10.0.0.0/8","nexthops":"eth0"},{"dst":"10.1.0.0/16","nexthops":[{"dev":"eth0"},7]},{"dst":"10.2.0.0/16","nexthops":[]}]"#
        let ns = try Self.build(link: link, addr: addr, route: route).get()
        #expect(ns.interfaces.map(\.name) == ["a", "b", "c", "d", "e"])
        #expect(ns.interfaces.map(\.isUp) == [false, false, false, true, false])
        #expect(ns.interfaces.allSatisfy { $0.kind == .other && $0.peer == nil })
        #expect(ns.interfaces[0].addresses == [InterfaceAddress(ip("fe80::1"), prefixLength: 64, scope: .global)])
        #expect(ns.routes.map(\.dev) == [nil, nil, nil])
    }

    /// JSONSerialization gave `as? Int` a number that is exactly an integer (`1.0`, `1e2`) and a
    /// boolean as 1 or 0; anything else, including numbers past Int, made a mistyped field.
    @Test(arguments: [
        "0", "-1", "-0", "1.0", "1e2", "1E2", "100e-2", "1.5", "1e300", "-1e300",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999",
        "true", "false", "null", #""7""#, "[]", "{}", "1e400", "01", "1.",
    ])
    func aNumberIsAnIntegerWhereJSONSerializationSaidSo(_ value: String) {
        let json = #"[{"nsid":\#(value),"name":"x"}]"#
        let result = Self.build(nsid: json).map(\.namespaceIDs)
        guard let entries = Self.oldParse(json) as? [[String: Any]] else {
            let detail = Self.oldError(json) ?? "?"
            #expect(result == .failure(.malformedJSON(netns: "t9", source: "ip -j netns list-id", detail: detail)), "\(value)")
            return
        }
        if let nsid = entries[0]["nsid"] as? Int {
            #expect(result == .success([nsid: "x"]), "\(value)")
        } else {
            #expect(result == .failure(.unexpectedShape(netns: "t9", source: "ip -j netns list-id", detail: "'nsid' is not an integer")),
                    "\(value)")
        }
    }

    @Test func numbersPastIntAreNoIntegersAndPastDoubleNoJSON() {
        let notAnInteger = TopologyError.unexpectedShape(netns: "t9", source: "ip -j netns list-id", detail: "'nsid' is not an integer")
        for big in ["9223372036854775808", "18446744073709551616", "99999999999999999999999", "1e300", "-1e300"] {
            #expect(Self.build(nsid: #"[{"nsid":\#(big),"name":"x"}]"#) == .failure(notAnInteger), "\(big)")
        }
        #expect(Self.build(nsid: #"[{"nsid":9223372036854775807,"name":"x"}]"#).map(\.namespaceIDs) == .success([Int.max: "x"]))
        #expect(Self.build(nsid: #"[{"nsid":-9223372036854775808,"name":"x"}]"#).map(\.namespaceIDs) == .success([Int.min: "x"]))
        // 1e400 is no Double: JSONSerialization refused the whole output, even in a field never read.
        let json = #"[{"nsid":1,"name":"x","later":1e400}]"#
        #expect(Self.build(nsid: json) == .failure(.malformedJSON(netns: "t9", source: "ip -j netns list-id", detail: Self.oldError(json) ?? "?")))
    }

    @Test(arguments: [#""x""#, "1", "true", "null", "[]", "{}", #""\u00e9\ud83d\ude00""#, #""e\u001b[2J""#])
    func aValueIsAStringWhereJSONSerializationSaidSo(_ value: String) {
        let json = #"[{"nsid":0,"name":\#(value)}]"#
        let result = Self.build(nsid: json).map(\.namespaceIDs)
        guard let entries = Self.oldParse(json) as? [[String: Any]] else {
            Issue.record("JSONSerialization refused \(value)")
            return
        }
        if let name = entries[0]["name"] as? String {
            #expect(result == .success([0: name]), "\(value)")
        } else {
            #expect(result == .failure(.unexpectedShape(netns: "t9", source: "ip -j netns list-id", detail: "'name' is not a string")),
                    "\(value)")
        }
    }

    // MARK: - Unknown fields

    @Test func unknownFieldsAreIgnored() throws {
        let plainLink = #"[{"ifindex":4,"ifname":"veth1","flags":["UP"],"master":"docker1","link_index":2,"link_netnsid":1,"linkinfo":{"info_kind":"veth"}}]"#
        let richLink = #"""
            [{"mtu":1500,"ifindex":4,"qdisc":"noqueue","ifname":"veth1","flags":["UP"],"future":{"nested":[1,2.5,-3e2,true,null,{"a":"b"}]},
              "master":"docker1","big":123456789012345678901234567890,"link_index":2,"link_netnsid":1,
              "escaped":"\u00e9\ud83d\ude00\n","linkinfo":{"info_kind":"veth","info_data":{"peer":null},"info_slave_kind":"bridge"},
              "altnames":["x","y"]}]
            """#
        let plainRoute = #"[{"dst":"172.18.0.0/24","dev":"docker1"},{"dst":"default","gateway":"172.18.0.1","dev":"eth0","metric":100}]"#
        let richRoute = #"""
            [{"dst":"172.18.0.0/24","dev":"docker1","protocol":"kernel","scope":"link","prefsrc":"172.18.0.1","flags":[]},
             {"dst":"default","gateway":"172.18.0.1","dev":"eth0","protocol":"dhcp","metric":100,"flags":["onlink"],"pref":"medium"}]
            """#
        let plainAddr = #"[{"ifindex":4,"addr_info":[{"local":"172.18.0.1","prefixlen":24}]}]"#
        let richAddr = #"[{"ifindex":4,"ifname":"veth1","mtu":1500,"addr_info":[{"family":"inet","local":"172.18.0.1","prefixlen":24,"broadcast":"172.18.0.255","label":"veth1","valid_life_time":4294967295}]}]"#
        let plainNsid = #"[{"nsid":1,"name":"htns1"}]"#
        let richNsid = #"[{"nsid":1,"current-nsid":1,"name":"htns1","extra":[{}]}]"#
        let plain = try Self.build(link: plainLink, addr: plainAddr, route: plainRoute, nsid: plainNsid).get()
        let rich = try Self.build(link: richLink, addr: richAddr, route: richRoute, nsid: richNsid).get()
        #expect(rich == plain)
        let veth1 = try #require(rich.interface(named: "veth1"))
        #expect(veth1.kind == .veth && veth1.master == "docker1" && veth1.peer == .init(nsid: 1, ifindex: 2))
        #expect(veth1.addresses == [InterfaceAddress(ip("172.18.0.1"), prefixLength: 24)])
        #expect(rich.routes.last == Route(destination: IPPrefix(parsing: "0.0.0.0/0")!, gateway: ip("172.18.0.1"), dev: "eth0", metric: 100))
        #expect(rich.namespaceIDs == [1: "htns1"])
        #expect(try IPJSONList.entries(Data(richLink.utf8), as: IPLinkJSON.self) == IPJSONList.entries(Data(plainLink.utf8), as: IPLinkJSON.self))
    }

    // MARK: - Documents

    @Test func aDocumentThatIsNoListOfObjectsIsRefusedAsBefore() {
        func shape(_ detail: String) -> Result<NamespaceSnapshot, TopologyError> {
            .failure(.unexpectedShape(netns: "t9", source: "ip -j -d link show", detail: detail))
        }
        #expect(Self.build(link: #"{"ifindex":1,"ifname":"a"}"#) == shape("expected a JSON array"))
        #expect(Self.build(link: "{}") == shape("expected a JSON array"))
        #expect(Self.build(link: #"[{"ifindex":1,"ifname":"a"},2]"#) == shape("entry 1 is not an object"))
        #expect(Self.build(link: "[null]") == shape("entry 0 is not an object"))
        #expect(Self.build(link: #"[["ifindex",1]]"#) == shape("entry 0 is not an object"))
    }

    /// The whole document: what JSONSerialization refused is refused with its words, and what
    /// it read is read (trailing commas, a byte-order mark).
    @Test(arguments: [
        "\u{FEFF}[]", "[] x", "[]]", #"[{"ifindex":1,"ifname":"a"},]"#, #"["a" "b"]"#, "[1,]", "[", "{",
        "null", "5", #""x""#, "  true  ", "not json", #"[{"ifindex":1,"ifname":"a"}"#,
    ])
    func aDocumentIsNotJSONWhereJSONSerializationRefusedIt(_ json: String) {
        let result = Self.build(link: json).map(\.interfaces)
        if let detail = Self.oldError(json) {
            #expect(result == .failure(.malformedJSON(netns: "t9", source: "ip -j -d link show", detail: detail)), "\(json)")
        } else if case .failure(.malformedJSON) = result {
            Issue.record("refused as not JSON, though JSONSerialization read it: \(json)")
        }
    }

    /// JSONDecoder checks a string or a number only when it decodes it; JSONSerialization
    /// refused the whole output for a broken one anywhere. A field hoptrace never reads still
    /// refuses the output as before, and a valid one there changes nothing.
    @Test(arguments: [
        "01", "-01", "1.", ".5", "-", "1e", "1e+", "1-2", "--1", "+1", "1e400", "-1e400", "1E400",
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\q""#, #""\u12""#, #""\u12g4""#, "tru", "nul",
        #""\ud83d\ude00""#, "[1,2,]", #"{"a":1,}"#, "0.5e-3", "-0", "-0.0E+00", "123456789012345678901234567890", "1e-400",
        #"{"deep":[{"k":[1,{"m":null}]}]}"#,
    ])
    func aBrokenValueInAFieldNeverReadRefusesTheOutputAsBefore(_ value: String) {
        let json = #"[{"ifindex":1,"ifname":"a","x":\#(value)}]"#
        let expected: Result<[String], TopologyError>
        if let detail = Self.oldError(json) {
            expected = .failure(.malformedJSON(netns: "t9", source: "ip -j -d link show", detail: detail))
        } else {
            expected = .success(["a"])
        }
        #expect(Self.build(link: json).map { $0.interfaces.map(\.name) } == expected, "\(value)")
    }
}
