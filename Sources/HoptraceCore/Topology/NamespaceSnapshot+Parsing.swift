import Foundation

/// Building a snapshot from `ip -j` output. JSONDecoder reads each output as a list of typed
/// entries (`IPLinkJSON`, `IPRouteJSON`, `IPNetnsIDJSON`); this file checks their fields and
/// never traps: anything unexpected is a `TopologyError`, worded as it was when
/// JSONSerialization read the output.
/// The output may come from a recording someone else made. So each document is measured
/// against `TopologyLimits` (entries, values, depth) before anything decodes it, and addresses
/// are counted as they are read. Links are found by ifindex through a dictionary built once,
/// not by a scan per address entry.
extension NamespaceSnapshot {
    /// - Parameters:
    ///   - linkJSON: `ip -n NS -j -d link show` (the `-d` gives linkinfo: veth, bridge).
    ///   - addrJSON: `ip -n NS -j addr show`.
    ///   - routeJSON: `ip -n NS -j route show table main` (IPv4; "default" means 0.0.0.0/0).
    ///   - nsidJSON: `ip -n NS -j netns list-id`.
    ///   - route6JSON: optionally `ip -n NS -6 -j route show table main` ("default" means ::/0).
    /// Empty output counts as an empty list (older iproute2 prints nothing for no entries).
    public init(
        name: String?, linkJSON: Data, addrJSON: Data, routeJSON: Data, nsidJSON: Data,
        ipForward: Bool?, route6JSON: Data? = nil
    ) throws(TopologyError) {
        var reader = IprouteReader(netns: name, source: "ip -j -d link show")
        var interfaces = try reader.entries(linkJSON, as: IPLinkJSON.self, atMost: TopologyLimits.links, of: "links").map {
            link throws(TopologyError) in try reader.interface(link)
        }
        // ifindex → position, first link wins (as the scan it replaces would have found it).
        var positions: [Int: Int] = [:]
        positions.reserveCapacity(interfaces.count)
        for (i, link) in interfaces.enumerated() where positions[link.index] == nil { positions[link.index] = i }

        reader.source = "ip -j addr show"
        var addressCount = 0
        for link in try reader.entries(addrJSON, as: IPLinkJSON.self, atMost: TopologyLimits.links, of: "links") {
            let index = try reader.int(link.ifindex, "ifindex")
            let addresses = try reader.addresses(link.addrInfo)
            addressCount += addresses.count
            guard addressCount <= TopologyLimits.addresses else {
                throw reader.tooLarge("more than \(TopologyLimits.addresses) addresses, the most hoptrace reads for one namespace")
            }
            // A link created between the two dumps is simply not known yet.
            guard let i = positions[index] else { continue }
            interfaces[i].addresses = addresses
        }

        reader.source = "ip -j route show table main"
        var routes = try reader.entries(routeJSON, as: IPRouteJSON.self, atMost: TopologyLimits.routes, of: "routes").map {
            route throws(TopologyError) in try reader.route(route, defaultDestination: .any(like: .v4(IPv4Address(0))))
        }
        if let route6JSON {
            reader.source = "ip -6 -j route show table main"
            routes += try reader.entries(route6JSON, as: IPRouteJSON.self, atMost: TopologyLimits.routes, of: "routes").map {
                route throws(TopologyError) in try reader.route(route, defaultDestination: .any(like: .v6(IPv6Address(high: 0, low: 0))))
            }
        }

        reader.source = "ip -j netns list-id"
        var ids: [Int: String] = [:]
        for entry in try reader.entries(nsidJSON, as: IPNetnsIDJSON.self, atMost: TopologyLimits.links, of: "namespace ids") {
            let nsid = try reader.int(entry.nsid, "nsid")
            if let nsName = try reader.optionalString(entry.name, "name") { ids[nsid] = nsName }
        }
        self.init(name: name, interfaces: interfaces, routes: routes, namespaceIDs: ids, ipForward: ipForward)
    }
}

/// Typed reads of iproute2's JSON entries, with errors that name the namespace and command.
/// A field of the wrong type is refused where JSONSerialization's `as? Int` / `as? String`
/// refused it; fields read with a default (`flags`, `linkinfo`, `nexthops`) ignore it.
struct IprouteReader {
    let netns: String?
    var source: String

    /// What JSONSerialization's error said of any document it could not parse (its NSError
    /// names no position), so a refused document reads as it always has.
    static let notJSONDetail = NSError(
        domain: NSCocoaErrorDomain, code: CocoaError.Code.propertyListReadCorrupt.rawValue
    ).localizedDescription

    init(netns: String?, source: String) {
        self.netns = netns
        self.source = source
    }

    func shape(_ detail: String) -> TopologyError {
        .unexpectedShape(netns: netns, source: source, detail: detail)
    }

    func tooLarge(_ detail: String) -> TopologyError {
        .tooLarge(netns: netns, source: source, detail: detail)
    }

    /// The list `data` holds, with at most `limit` entries (`noun` names them in the error).
    /// The document is measured first (`JSONExtent`); only then is it decoded, from the bytes
    /// `IPJSONRepair` made of it: a name iproute2 printed raw (a control byte, not UTF-8) costs
    /// the namespace nothing. The measure needs no repair: it skips strings.
    func entries<Entry: IPJSONEntry>(
        _ data: Data, as _: Entry.Type, atMost limit: Int, of noun: String
    ) throws(TopologyError) -> [Entry] {
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return [] }
        let extent = data.withUnsafeBytes { JSONExtent.measure($0, entries: limit) }
        switch extent {
        case .within: break
        case .tooManyEntries:
            throw tooLarge("more than \(limit) \(noun), the most hoptrace reads for one namespace")
        case .tooManyValues:
            throw tooLarge("more than \(TopologyLimits.jsonValues) JSON values, the most hoptrace parses in one output")
        case .tooDeep:
            throw tooLarge("JSON nested deeper than \(TopologyLimits.jsonDepth) levels")
        }
        do {
            return try IPJSONList.entries(IPJSONRepair.repaired(data), as: Entry.self)
        } catch {
            switch error {
            case .notJSON: throw .malformedJSON(netns: netns, source: source, detail: Self.notJSONDetail)
            case .notAList, .notAnObject: throw shape(error.description)
            }
        }
    }

    func int(_ value: IPJSONScalar?, _ key: String) throws(TopologyError) -> Int {
        guard let v = try optionalInt(value, key) else { throw shape("missing '\(key)'") }
        return v
    }

    func optionalInt(_ value: IPJSONScalar?, _ key: String) throws(TopologyError) -> Int? {
        guard let value else { return nil }
        guard let v = value.integerValue else { throw shape("'\(key)' is not an integer") }
        return v
    }

    func string(_ value: IPJSONScalar?, _ key: String) throws(TopologyError) -> String {
        guard let v = try optionalString(value, key) else { throw shape("missing '\(key)'") }
        return v
    }

    func optionalString(_ value: IPJSONScalar?, _ key: String) throws(TopologyError) -> String? {
        guard let value else { return nil }
        guard let v = value.stringValue else { throw shape("'\(key)' is not a string") }
        return v
    }

    func address(_ text: String, _ key: String) throws(TopologyError) -> IPAddress {
        guard let a = IPAddress(text) else { throw shape("'\(key)' is not an IP address: \(text)") }
        return a
    }

    func interface(_ link: IPLinkJSON) throws(TopologyError) -> NetworkInterface {
        let index = try int(link.ifindex, "ifindex"), name = try string(link.ifname, "ifname")
        let kind: NetworkInterface.Kind
        if try optionalString(link.linkType, "link_type") == "loopback" || link.flags.contains("LOOPBACK") {
            kind = .loopback
        } else {
            switch link.infoKind {
            case "veth": kind = .veth
            case "bridge": kind = .bridge
            default: kind = .other
            }
        }
        var peer: NetworkInterface.PeerReference?
        // link_index also names a vlan's or macvlan's parent: only a veth's is a peer.
        if kind == .veth, let peerIndex = try optionalInt(link.linkIndex, "link_index") {
            peer = .init(nsid: try optionalInt(link.linkNetnsid, "link_netnsid"), ifindex: peerIndex)
        }
        return NetworkInterface(
            index: index, name: name, kind: kind, master: try optionalString(link.master, "master"), peer: peer,
            isUp: link.flags.contains("UP"), mac: try optionalString(link.address, "address"))
    }

    func addresses(_ addrInfo: IPAddrInfoJSON.List?) throws(TopologyError) -> [InterfaceAddress] {
        guard let addrInfo else { return [] }
        guard case .entries(let list) = addrInfo else { throw shape("'addr_info' is not a list of objects") }
        var out: [InterfaceAddress] = []
        for info in list {
            // Only inet/inet6 entries carry "local" (addr_info may be {} for a filtered family).
            guard let local = try optionalString(info.local, "local") else { continue }
            let address = try address(local, "local"), length = try int(info.prefixlen, "prefixlen")
            guard length >= 0, length <= address.bitWidth else { throw shape("prefixlen \(length) for \(local)") }
            let scope = InterfaceAddress.Scope(rawValue: try optionalString(info.scope, "scope") ?? "global") ?? .global
            out.append(InterfaceAddress(address, prefixLength: length, scope: scope))
        }
        return out
    }

    func route(_ entry: IPRouteJSON, defaultDestination: IPPrefix) throws(TopologyError) -> Route {
        let dst = try string(entry.dst, "dst")
        var gateway = try optionalString(entry.gateway, "gateway").map { text throws(TopologyError) in try address(text, "gateway") }
        var dev = try optionalString(entry.dev, "dev")
        // Multipath routes list their hops in "nexthops"; the first one stands for all.
        if dev == nil, let first = entry.nexthops?.first {
            dev = try optionalString(first.dev, "dev")
            gateway = try optionalString(first.gateway, "gateway").map { text throws(TopologyError) in try address(text, "gateway") }
        }
        let destination: IPPrefix
        if dst == "default" {
            destination = gateway.map { IPPrefix.any(like: $0) } ?? defaultDestination
        } else {
            guard let prefix = IPPrefix(parsing: dst) else { throw shape("'dst' is not a prefix: \(dst)") }
            destination = prefix
        }
        return Route(
            destination: destination, gateway: gateway, dev: dev,
            kind: .init(iproute2: try optionalString(entry.type, "type")), metric: try optionalInt(entry.metric, "metric"))
    }
}

/// What one JSON document would cost to decode, measured in one pass over its bytes,
/// without building anything. The pass stops at the first limit it passes, so an oversized
/// document costs no more than reading up to that point.
/// It counts the top-level list's entries (commas at depth 1), an upper bound on the values
/// (two per `[`/`{` (the container and its first element) and one per comma), and the depth.
/// Strings are skipped, escapes included. Malformed JSON is not its business: the parser
/// that runs next says what is wrong.
enum JSONExtent: Equatable {
    case within, tooManyEntries, tooManyValues, tooDeep

    static func measure(
        _ bytes: UnsafeRawBufferPointer, entries limit: Int,
        values valueLimit: Int = TopologyLimits.jsonValues, depth depthLimit: Int = TopologyLimits.jsonDepth
    ) -> JSONExtent {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        let openList = UInt8(ascii: "["), openObject = UInt8(ascii: "{")
        let closeList = UInt8(ascii: "]"), closeObject = UInt8(ascii: "}")
        var depth = 0, entries = 1, values = 1
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == backslash {
                    escaped = true
                } else if byte == quote {
                    inString = false
                }
                continue
            }
            switch byte {
            case quote:
                inString = true
            case openList, openObject:
                depth += 1
                values += 2
                if depth > depthLimit { return .tooDeep }
            case closeList, closeObject:
                depth -= 1
            case comma:
                values += 1
                if depth == 1 {
                    entries += 1
                    if entries > limit { return .tooManyEntries }
                }
            default:
                continue
            }
            if values > valueLimit { return .tooManyValues }
        }
        return .within
    }
}
