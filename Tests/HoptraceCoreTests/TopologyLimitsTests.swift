import Foundation
import Testing
@testable import HoptraceCore

/// Issue 14, finding 2: a recording's topology must not cost more than a real host's. Its
/// blocks are limited in size and number where the recording is read, its JSON is measured
/// before it is parsed, and links are found through an index, not by a scan per question.
/// No test here is timed: what would have been quadratic is asserted through the index that
/// replaces the scan.
@Suite struct TopologyLimitsTests {
    // MARK: - Links by ifindex, name and master: one index per namespace

    @Test func theIndexAnswersLikeAScanFromTheFront() {
        let links = [
            NetworkInterface(index: 1, name: "lo", kind: .loopback, addresses: [InterfaceAddress(ip("127.0.0.1"), prefixLength: 8)]),
            NetworkInterface(index: 2, name: "br0", kind: .bridge, addresses: [InterfaceAddress(ip("10.0.0.1"), prefixLength: 24)]),
            NetworkInterface(index: 3, name: "p1", kind: .veth, master: "br0"),
            NetworkInterface(index: 4, name: "p2", kind: .veth, master: "br0"),
            // What ip never prints but a crafted recording may: a second ifindex 3, a second "p1".
            NetworkInterface(index: 3, name: "again", kind: .other),
            NetworkInterface(index: 5, name: "p1", kind: .other, master: "br0"),
        ]
        let index = InterfaceIndex(links)
        #expect(index.count == links.count)
        for ifindex in [1, 2, 3, 4, 5, 9] {
            #expect(index.position(ofIfindex: ifindex) == links.firstIndex(where: { $0.index == ifindex }), "ifindex \(ifindex)")
        }
        for name in ["lo", "br0", "p1", "p2", "again", "nope"] {
            #expect(index.position(named: name) == links.firstIndex(where: { $0.name == name }), "\(name)")
        }
        #expect(index.portPositions(of: "br0") == [2, 3, 5])
        #expect(index.portPositions(of: "p1") == [])
        #expect(index.ownsOffLoopback(ip("10.0.0.1")))
        #expect(!index.ownsOffLoopback(ip("127.0.0.1")), "a loopback's addresses are not a far end's")
        #expect(!index.ownsOffLoopback(ip("10.0.0.2")))
    }

    @Test func aSnapshotLooksUpThroughAnIndexThatFollowsItsList() {
        var ns = NamespaceSnapshot(name: "x", interfaces: [NetworkInterface(index: 1, name: "br0", kind: .bridge)], routes: [])
        #expect(ns.interfaceIndex == InterfaceIndex(ns.interfaces))
        ns.interfaces.append(NetworkInterface(index: 7, name: "b", kind: .veth, master: "br0"))
        #expect(ns.interfaceIndex == InterfaceIndex(ns.interfaces))
        #expect(ns.interface(index: 7)?.name == "b")
        #expect(ns.interface(named: "b")?.index == 7)
        #expect(ns.ports(of: "br0").map(\.name) == ["b"])
        ns.interfaces[1].name = "c"
        #expect(ns.interface(named: "b") == nil)
        #expect(ns.interface(named: "c")?.index == 7)
        #expect(ns.ports(of: "br0").map(\.name) == ["c"])
        // Equal snapshots are equal whatever was done to them before: the index only follows the list.
        #expect(ns == NamespaceSnapshot(name: "x", interfaces: ns.interfaces, routes: []))
    }

    /// As many links as one namespace may have: veth pairs whose `link_index` name each other,
    /// one end of each a port of one bridge (`master`), the other with an address listed in
    /// reverse order. Every peer, port and address lands where it belongs, and the snapshot's
    /// lookups go through an index built from all of them. (The scans this replaces made the
    /// same input cost links² comparisons.)
    @Test func aNamespaceAtTheLinkLimitResolvesEveryPeerMasterAndAddress() throws {
        let pairs = (TopologyLimits.links - 2) / 2
        func a(_ k: Int) -> Int { 3 + 2 * k }
        func b(_ k: Int) -> Int { 4 + 2 * k }
        func address(_ k: Int) -> String { "10.\(k >> 16 & 255).\(k >> 8 & 255).\(k & 255)" }
        var links = [
            #"{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"link_type":"loopback"}"#,
            #"{"ifindex":2,"ifname":"br0","flags":["UP"],"linkinfo":{"info_kind":"bridge"}}"#,
        ]
        var addrs: [String] = []
        for k in 0..<pairs {
            links.append(#"{"ifindex":\#(a(k)),"link_index":\#(b(k)),"ifname":"a\#(k)","flags":["UP"],"master":"br0","linkinfo":{"info_kind":"veth"}}"#)
            links.append(#"{"ifindex":\#(b(k)),"link_index":\#(a(k)),"ifname":"b\#(k)","flags":["UP"],"linkinfo":{"info_kind":"veth"}}"#)
        }
        for k in (0..<pairs).reversed() {
            addrs.append(#"{"ifindex":\#(b(k)),"addr_info":[{"family":"inet","local":"\#(address(k))","prefixlen":8,"scope":"global"}]}"#)
        }
        let ns = try NamespaceSnapshot(
            name: "wide", linkJSON: Data(("[" + links.joined(separator: ",") + "]").utf8),
            addrJSON: Data(("[" + addrs.joined(separator: ",") + "]").utf8), routeJSON: Data(), nsidJSON: Data(), ipForward: true)
        #expect(ns.interfaces.count == 2 + 2 * pairs)
        #expect(ns.interfaces.count <= TopologyLimits.links)
        #expect(ns.interfaceIndex == InterfaceIndex(ns.interfaces))
        #expect(ns.ports(of: "br0").map(\.name) == (0..<pairs).map { "a\($0)" })
        let topology = try Topology([ns])
        for k in 0..<pairs {
            #expect(ns.interface(index: b(k))?.addresses == [InterfaceAddress(ip(address(k)), prefixLength: 8)], "b\(k)")
            #expect(ns.interface(index: a(k))?.addresses == [], "a\(k)")
            #expect(topology.peer(of: CapturePoint(netns: "wide", iface: "a\(k)")) == CapturePoint(netns: "wide", iface: "b\(k)"))
            #expect(topology.peer(of: CapturePoint(netns: "wide", iface: "b\(k)")) == CapturePoint(netns: "wide", iface: "a\(k)"))
        }
    }

    // MARK: - Limits on one namespace's JSON, checked before JSONSerialization builds it

    /// 20,000 links: twice the limit. Refused with the limit named, from a count taken before
    /// any JSON object is built.
    @Test func twentyThousandLinksAreRefusedWithTheLimitNamed() {
        let json = "[" + (1...20_000).map { #"{"ifindex":\#($0),"ifname":"l\#($0)","link_index":\#($0 % 20_000 + 1),"master":"l1"}"# }
            .joined(separator: ",") + "]"
        let error = Self.parseError(link: json)
        guard case .tooLarge(let netns, let source, let detail)? = error else {
            Issue.record("expected tooLarge, got \(String(describing: error))")
            return
        }
        #expect(netns == "big")
        #expect(source.contains("link"))
        #expect(detail.contains("more than \(TopologyLimits.links) links"), "\(detail)")
        #expect(error?.description.hasPrefix("big: ") == true)
    }

    @Test func oneLinkOverTheLimitIsRefused() {
        let json = "[" + (1...(TopologyLimits.links + 1)).map { #"{"ifindex":\#($0),"ifname":"l\#($0)"}"# }.joined(separator: ",") + "]"
        guard case .tooLarge? = Self.parseError(link: json) else {
            Issue.record("\(TopologyLimits.links + 1) links were accepted")
            return
        }
    }

    /// Output whose entries are few but whose JSON would still make a vast tree.
    enum Vast: String, CaseIterable, Sendable {
        /// Nested far too deep: a recursive parser would descend 100,000 levels.
        case deep
        /// One link with a list of a million numbers.
        case manyValues
        /// One more address than one namespace may have.
        case manyAddresses

        var part: String { self == .manyAddresses ? "addr" : "link" }
        var says: String {
            switch self {
            case .deep: "nested deeper"
            case .manyValues: "JSON values"
            case .manyAddresses: "addresses"
            }
        }
        var json: String {
            switch self {
            case .deep:
                String(repeating: "[", count: 100_000)
            case .manyValues:
                #"[{"ifindex":1,"ifname":"a","flags":["# + String(repeating: "0,", count: 1_000_000) + "0]}]"
            case .manyAddresses:
                #"[{"ifindex":1,"addr_info":["# + (0...TopologyLimits.addresses).map {
                    #"{"local":"10.\#($0 >> 16 & 255).\#($0 >> 8 & 255).\#($0 & 255)","prefixlen":8}"#
                }.joined(separator: ",") + "]}]"
            }
        }
    }

    @Test(arguments: Vast.allCases)
    func outputThatWouldBuildAVastTreeIsRefused(_ vast: Vast) {
        let error = vast.part == "link" ? Self.parseError(link: vast.json) : Self.parseError(addr: vast.json)
        guard case .tooLarge(_, let source, let detail)? = error else {
            Issue.record("expected tooLarge, got \(String(describing: error))")
            return
        }
        #expect(source.contains(vast.part))
        #expect(detail.contains(vast.says), "\(detail)")
    }

    /// The measure skips strings (escapes included) and counts only the top level's entries.
    @Test func theMeasureCountsStructureNotStrings() {
        func measure(_ s: String, entries: Int = 3, values: Int = 100, depth: Int = 3) -> JSONExtent {
            Array(s.utf8).withUnsafeBytes { JSONExtent.measure($0, entries: entries, values: values, depth: depth) }
        }
        #expect(measure("[1,2,3]") == .within)
        #expect(measure("[1,2,3,4]") == .tooManyEntries)
        #expect(measure("[[1,2,3,4,5]]") == .within, "only the top level's entries count")
        #expect(measure(#"["a,b,c,d,e"]"#) == .within, "commas in a string")
        #expect(measure(#"["\",\",\",\"", 1]"#) == .within, "escaped quotes keep the string open")
        #expect(measure(#"["\\", 1, 2]"#) == .within, "an escaped backslash ends before the quote")
        #expect(measure("[[[1]]]") == .within)
        #expect(measure("[[[[1]]]]") == .tooDeep)
        #expect(measure(#"["[[[[[{{{{"]"#) == .within, "brackets in a string")
        #expect(measure("[0,0,0]", values: 3) == .tooManyValues)
        #expect(measure("not json at all, ]]]] [") == .within, "malformed JSON is the parser's to report")
    }

    // MARK: - Limits on a recording's topology blocks

    @Test func aTopologyBlockOverTheLimitIsRefusedWithItsByteOffsetAndThePacketsGoOn() throws {
        let small = PcapngWriter.custom(Self.sources("ns0").encoded)
        let big = PcapngWriter.custom(Self.sources("ns1", recordedBytes: TopologyLimits.blockBytes + 4).encoded)
        let file = Self.head + small + big + small + Self.packets
        let events = try Self.decode(file)
        let offset = Self.head.count + small.count
        guard case .failure(let error)? = events.topology.first, events.topology.count == 1 else {
            Issue.record("expected one refused topology, got \(events.topology)")
            return
        }
        #expect(error.offset == offset)
        #expect(error.description.contains("\(TopologyLimits.blockBytes + 4) bytes"), "\(error)")
        #expect(error.description.contains("\(TopologyLimits.blockBytes >> 20) MiB limit"), "\(error)")
        #expect(error.description.hasSuffix("at byte offset \(offset)"), "\(error)")
        #expect(events.packets == 2, "every packet is still replayed")
        #expect(events.interfaces == 1)

        // A block of exactly the limit is taken.
        let atLimit = Self.sources("ns1", recordedBytes: TopologyLimits.blockBytes)
        #expect(atLimit.recordedBytes == TopologyLimits.blockBytes)
        let taken = try Self.decode(Self.head + small + PcapngWriter.custom(atLimit.encoded) + Self.packets)
        guard case .success(let list)? = taken.topology.first else {
            Issue.record("a block of exactly \(TopologyLimits.blockBytes) bytes was refused: \(taken.topology)")
            return
        }
        #expect(list.map(\.name) == ["ns0", "ns1"])
        #expect(list[1] == atLimit)
    }

    /// 64 namespaces, the most one run watches, replay; a 65th refuses the topology, naming
    /// that block. Packets go on; a later recording in the same file is judged on its own.
    @Test func sixtyFiveTopologyBlocksAreRefusedAtTheSixtyFifth() throws {
        let blocks = (0..<65).map { PcapngWriter.custom(Self.sources("ns\($0)").encoded) }
        let sixtyFour = try Self.decode(Self.head + blocks.prefix(64).joined() + Self.packets)
        guard case .success(let list)? = sixtyFour.topology.first else {
            Issue.record("64 namespaces were refused: \(sixtyFour.topology)")
            return
        }
        #expect(list.map(\.name) == (0..<64).map { "ns\($0)" })

        let later = Self.head + PcapngWriter.custom(Self.sources("again").encoded) + Self.packets
        let sixtyFive = try Self.decode(Self.head + blocks.joined() + Self.packets + later)
        let offset = Self.head.count + blocks.prefix(64).map(\.count).reduce(0, +)
        guard sixtyFive.topology.count == 2, case .failure(let error) = sixtyFive.topology[0] else {
            Issue.record("expected a refusal, then the later recording's topology: \(sixtyFive.topology)")
            return
        }
        #expect(error.offset == offset)
        #expect(error.description.contains("64 namespaces"), "\(error)")
        #expect(sixtyFive.packets == 4)
        guard case .success(let again) = sixtyFive.topology[1] else {
            Issue.record("the later recording's topology was refused: \(sixtyFive.topology[1])")
            return
        }
        #expect(again.map(\.name) == ["again"])
    }

    /// Blocks each within the limit, too many bytes together: refused at the block that passes
    /// the total.
    @Test func topologyBlocksOverTheTotalAreRefusedAtTheBlockThatPassesIt() throws {
        let size = TopologyLimits.totalBytes / 16
        try #require(size <= TopologyLimits.blockBytes && 17 <= TopologyLimits.namespaces)
        let blocks = (0..<17).map { PcapngWriter.custom(Self.sources("ns\($0)", recordedBytes: size).encoded) }
        let events = try Self.decode(Self.head + blocks.joined() + Self.packets)
        guard case .failure(let error)? = events.topology.first else {
            Issue.record("\(17 * size) bytes of topology were taken: \(events.topology)")
            return
        }
        #expect(error.offset == Self.head.count + blocks.prefix(16).map(\.count).reduce(0, +))
        #expect(error.description.contains("\(TopologyLimits.totalBytes >> 20) MiB limit"), "\(error)")
        #expect(events.packets == 2)
    }

    /// A live run checks what it would record against the same limits, so it never writes a
    /// topology its replay would refuse.
    @Test func theLiveRunRefusesWhatAReplayWould() throws {
        let ok = (0..<64).map { Self.sources("ns\($0)") }
        try TopologyLimits.check(ok)
        #expect(throws: TopologyError.self) { try TopologyLimits.check(ok + [Self.sources("ns64")]) }
        let big = Self.sources("big", recordedBytes: TopologyLimits.blockBytes + 4)
        #expect { try TopologyLimits.check([big]) } throws: { error in
            guard case .tooLarge(let netns, _, let detail) = error as? TopologyError else { return false }
            return netns == "big" && detail.contains("\(TopologyLimits.blockBytes >> 20) MiB")
        }
        #expect(TopologyLimits.refusal(adding: TopologyLimits.blockBytes, toNamespaces: 0, ofBytes: 0) == nil)
        #expect(TopologyLimits.refusal(adding: 4, toNamespaces: 0, ofBytes: TopologyLimits.totalBytes - 4) == nil)
        #expect(TopologyLimits.refusal(adding: 8, toNamespaces: 0, ofBytes: TopologyLimits.totalBytes - 4)
                == .tooLargeInAll(bytes: TopologyLimits.totalBytes + 4))
    }

    // MARK: - Helpers

    static func parseError(link: String = "[]", addr: String = "[]") -> TopologyError? {
        do {
            _ = try NamespaceSnapshot(
                name: "big", linkJSON: Data(link.utf8), addrJSON: Data(addr.utf8), routeJSON: Data(), nsidJSON: Data(), ipForward: nil)
            return nil
        } catch {
            return error
        }
    }

    /// A namespace's sources; with `recordedBytes`, its link output padded with spaces (still
    /// valid JSON) until the block's data is exactly that size (a multiple of 4).
    static func sources(_ name: String, recordedBytes: Int? = nil) -> NamespaceSources {
        var s = NamespaceSources(name: name, link: Array("[]".utf8), addr: Array("[]".utf8), route: [], route6: [], nsid: [], ipForward: "1\n")
        if let recordedBytes {
            s.link += [UInt8](repeating: 0x20, count: recordedBytes - s.encoded.count)
        }
        return s
    }

    static let head = PcapngWriter.sectionHeader(application: "hoptrace test")
        + PcapngWriter.interface(RecordFormatTests.docker1) + PcapngWriter.interface(RecordFormatTests.enX0)
    static let packets = PcapngWriter.packet(interface: 0, micros: 1_795_554_732_877_331, captured: [1, 2, 3, 4, 5], wireLength: 98, direction: 1)
        + PcapngWriter.packet(interface: 1, micros: 1_795_554_732_878_308, captured: Array(0..<64), wireLength: 64, direction: 0)

    struct Decoded {
        var topology: [Result<[NamespaceSources], PcapngReader.FormatError>] = []
        var packets = 0
        var interfaces = 0
    }

    static func decode(_ file: [UInt8]) throws -> Decoded {
        var decoder = RecordingDecoder()
        decoder.feed(file)
        var out = Decoded()
        while let e = try decoder.next() {
            switch e {
            case .topology(let t): out.topology.append(t)
            case .packet: out.packets += 1
            case .interfaces: out.interfaces += 1
            default: break
            }
        }
        try decoder.finish()
        return out
    }
}
