import Foundation
import Testing
import HoptraceCore

/// `ip -j` prints names raw: a control byte or a byte that is not UTF-8 in one interface's
/// name made the whole output invalid JSON, and its namespace lost its topology. The repair
/// escapes such bytes inside strings, and the names still match what the kernel calls them.
@Suite struct IPJSONRepairTests {
    static let esc = "\u{1B}"

    static func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func snapshot(link: [UInt8]) throws -> NamespaceSnapshot {
        try NamespaceSnapshot(
            name: "htns9", linkJSON: Data(link), addrJSON: Data("[]".utf8), routeJSON: Data(), nsidJSON: Data(),
            ipForward: nil)
    }

    /// `ip`'s JSON list in `file` with `entry` as its last element.
    static func fixture(_ file: String, appending entry: [UInt8]) throws -> Data {
        var bytes = Array(try LabTopology.data(file))
        while let last = bytes.popLast(), last != UInt8(ascii: "]") {}
        return Data(bytes + utf8(",") + entry + utf8("]"))
    }

    @Test func validJSONIsLeftByteForByte() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: LabTopology.directory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(files.count >= 16)
        for file in files {
            let data = try LabTopology.data(file)
            #expect(IPJSONRepair.repaired(data) == data, "\(file)")
        }
        // Escapes, other scripts, emoji, DEL and C1 controls are all valid JSON already.
        let escapes = Data(#"[{"a\"b\\c\n\u001b":"é→😀\#u{7F}\#u{9B}\u00e9"}, "\\", ""]"#.utf8)
        #expect(IPJSONRepair.repaired(escapes) == escapes)
        #expect(IPJSONRepair.repaired(Data()) == Data())
    }

    @Test func controlBytesInNamesParseAndMatchTheirCapturePoint() throws {
        let hostile = "ev\(Self.esc)[31m"
        let link = Self.utf8(#"[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"]},"#
            + #"{"ifindex":5,"ifname":"\#(hostile)","flags":["UP"],"ifalias":"\#u{7}\#u{1}x"},"#
            + #"{"ifindex":6,"ifname":"$(id)","flags":["UP"]}]"#)
        #expect(throws: (any Error).self, "raw ESC is what JSONSerialization refuses") {
            _ = try JSONSerialization.jsonObject(with: Data(link))
        }
        #expect(IPJSONRepair.repaired(Data(#"["ev\#(Self.esc)"]"#.utf8)) == Data(#"["ev\u001b"]"#.utf8))

        let ns = try Self.snapshot(link: link)
        #expect(ns.interfaces.map(\.name) == ["lo", hostile, "$(id)"])
        #expect(ns.interface(named: hostile)?.index == 5)
        #expect(ns.interface(named: "$(id)")?.isUp == true)
        // The name decodes to the very String `-i htns9:ev<ESC>[31m` gives.
        let topology = try Topology([ns])
        #expect(topology.interface(at: point("htns9:\(hostile)"))?.index == 5)
    }

    @Test func invalidUTF8InANameParsesAsSwiftDecodesIt() throws {
        let name: [UInt8] = Self.utf8("ev") + [0xFF]
        let ns = try Self.snapshot(link: Self.utf8(#"[{"ifindex":3,"ifname":""#) + name + Self.utf8(#"","flags":["UP"]}]"#))
        #expect(ns.interfaces.map(\.name) == ["ev\u{FFFD}"])
        // pcap_findalldevs' name goes through String(cString:), which repairs the same way.
        #expect(ns.interface(named: String(decoding: name, as: UTF8.self))?.index == 3)
    }

    /// One U+FFFD per maximal ill-formed subpart, as the standard library counts them:
    /// truncated, surrogate, overlong, out-of-range sequences, and one cut off by the quote.
    @Test func invalidUTF8IsReplacedAsTheStandardLibraryReplacesIt() throws {
        let mixed: [UInt8] = [0x61, 0xE2, 0x82, 0x62, 0xF0, 0x9F, 0x98, 0x80, 0xED, 0xA0, 0x80, 0xC0, 0xAF,
                              0xF4, 0x90, 0x80, 0x80, 0xFE, 0xE2, 0x82]
        let repaired = IPJSONRepair.repaired(Data(Self.utf8(#"[""#) + mixed + Self.utf8(#""]"#)))
        #expect(!repaired.contains(0xFF) && !repaired.contains(0xFE))
        let parsed = try JSONSerialization.jsonObject(with: repaired) as? [String]
        #expect(parsed == [String(decoding: mixed, as: UTF8.self)])
    }

    /// `\"` is text and `\\"` ends the string: a tracker that got either wrong would leave an
    /// ESC raw or escape one outside a string.
    @Test func escapedQuotesAndBackslashesDoNotEndTheString() throws {
        let e = Self.esc
        let input = Data(#"["q\"\#(e)\\\#(e)","a\\","\#(e)"]"#.utf8)
        #expect(IPJSONRepair.repaired(input) == Data(#"["q\"\u001b\\\u001b","a\\","\u001b"]"#.utf8))
        let parsed = try JSONSerialization.jsonObject(with: IPJSONRepair.repaired(input)) as? [String]
        #expect(parsed == ["q\"\(e)\\\(e)", "a\\", e])
    }

    @Test func bytesOutsideStringsAreLeftAlone() {
        let broken = Data(Self.utf8("[1,\(Self.esc)2,") + [0xFF] + Self.utf8("]"))
        #expect(IPJSONRepair.repaired(broken) == broken, "not a string's defect: the parser reports it")
    }

    /// Every byte a defect: the copy grows by spans, and is exactly six bytes per ESC.
    @Test func manyDefectsRepairInOnePass() throws {
        let count = 200_000
        let input = Data(Self.utf8(#"[""#) + [UInt8](repeating: 0x1B, count: count) + Self.utf8(#""]"#))
        let repaired = IPJSONRepair.repaired(input)
        #expect(repaired.count == 4 + 6 * count)
        let parsed = try JSONSerialization.jsonObject(with: repaired) as? [String]
        #expect(parsed?.first?.unicodeScalars.count == count)
    }

    /// The purpose: one link with a hostile name (in its link, its address label and a route)
    /// costs the namespace none of its other links, addresses, routes or peers.
    @Test func aHostileLinkCostsTheNamespaceNothing() throws {
        let clean = try LabTopology.snapshot("htns1")
        let name = Self.utf8("ev\(Self.esc)[2J") + [0xFF]
        let shown = "ev\(Self.esc)[2J\u{FFFD}"
        let link = try Self.fixture("htns1.link.json", appending: Self.utf8(#"{"ifindex":9,"ifname":""#) + name
            + Self.utf8(#"","flags":["BROADCAST","UP"],"linkinfo":{"info_kind":"dummy"}}"#))
        let addr = try Self.fixture("htns1.addr.json", appending: Self.utf8(#"{"ifindex":9,"ifname":""#) + name
            + Self.utf8(#"","addr_info":[{"family":"inet","local":"10.9.0.1","prefixlen":24,"scope":"global","label":""#)
            + name + Self.utf8(#""}]}"#))
        let route = try Self.fixture("htns1.route.json", appending: Self.utf8(#"{"dst":"10.9.0.0/24","dev":""#) + name
            + Self.utf8(#"","protocol":"kernel","scope":"link","flags":[]}"#))
        let ns = try NamespaceSnapshot(
            name: "htns1", linkJSON: link, addrJSON: addr, routeJSON: route,
            nsidJSON: LabTopology.data("htns1.nsid.json"), ipForward: clean.ipForward)

        #expect(Array(ns.interfaces.dropLast()) == clean.interfaces)
        #expect(Array(ns.routes.dropLast()) == clean.routes)
        #expect(ns.namespaceIDs == clean.namespaceIDs)
        let hostile = try #require(ns.interface(named: shown))
        #expect(hostile.addresses == [InterfaceAddress(ip("10.9.0.1"), prefixLength: 24)])
        #expect(ns.routes.last == Route(destination: IPPrefix(parsing: "10.9.0.0/24")!, dev: shown))

        let lab = try LabTopology.topology { snapshots in
            if let i = snapshots.firstIndex(where: { $0.name == "htns1" }) { snapshots[i] = ns }
        }
        #expect(lab.peer(of: point("htns1:eth0")) == point("hthost:veth1"))
        #expect(try lab.route(in: "htns1", to: ip("172.31.45.174")) == LabTopology.topology().route(in: "htns1", to: ip("172.31.45.174")))
    }
}
