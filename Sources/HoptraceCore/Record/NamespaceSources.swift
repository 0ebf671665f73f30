import Foundation

/// The `ip -j` outputs one namespace's topology was read from, kept raw: a recording
/// carries them (a pcapng Custom Block) so a replay judges paths exactly as the live
/// run did, and a newer parser can read old files.
/// Layout: 0x54 ('T'), version u8 (1), netns (u16 length, 0xFFFF = current), then six
/// blobs each u32 length + bytes: link, addr, route, route6, nsid, ip_forward.
public struct NamespaceSources: Sendable, Equatable {
    public var name: String?
    public var link: [UInt8]
    public var addr: [UInt8]
    public var route: [UInt8]
    public var route6: [UInt8]
    public var nsid: [UInt8]
    public var ipForward: String

    public init(name: String?, link: [UInt8], addr: [UInt8], route: [UInt8], route6: [UInt8], nsid: [UInt8], ipForward: String) {
        self.name = name
        self.link = link
        self.addr = addr
        self.route = route
        self.route6 = route6
        self.nsid = nsid
        self.ipForward = ipForward
    }

    static let marker: UInt8 = 0x54
    static let version: UInt8 = 1

    public static func isTopologyRecord(_ payload: [UInt8]) -> Bool { payload.first == marker }

    public func snapshot() throws(TopologyError) -> NamespaceSnapshot {
        try NamespaceSnapshot(
            name: name, linkJSON: Data(link), addrJSON: Data(addr), routeJSON: Data(route), nsidJSON: Data(nsid),
            ipForward: NamespaceSnapshot.parseIPForward(ipForward), route6JSON: Data(route6))
    }

    /// The size of this topology's Custom Block data in a recording (`encoded`, padded to 32
    /// bits): what `TopologyLimits` measures, the same on the writer's side and the reader's.
    public var recordedBytes: Int { (encoded.count + 3) / 4 * 4 }

    public var encoded: [UInt8] {
        var b = BigEndianBytes()
        b.u8(Self.marker)
        b.u8(Self.version)
        b.namespaceName(name)
        for blob in [link, addr, route, route6, nsid, Array(ipForward.utf8)] {
            b.u32(UInt32(blob.count))
            b.bytes += blob
        }
        return b.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var c = ByteCursor(bytes)
        guard try c.u8("topology record") == Self.marker else { throw .unsupported("not a topology record") }
        let version = try c.u8("topology record")
        guard version == Self.version else { throw .unsupported("topology record version \(version)") }
        func blob(_ n: Int) throws(DecodeError) -> [UInt8] {
            let at = c.offset
            try c.skip(n, "topology record")
            return Array(bytes[at..<(at + n)])
        }
        name = try c.namespaceName("topology record")
        link = try blob(Int(try c.u32("topology record")))
        addr = try blob(Int(try c.u32("topology record")))
        route = try blob(Int(try c.u32("topology record")))
        route6 = try blob(Int(try c.u32("topology record")))
        nsid = try blob(Int(try c.u32("topology record")))
        ipForward = String(decoding: try blob(Int(try c.u32("topology record"))), as: UTF8.self)
    }
}
