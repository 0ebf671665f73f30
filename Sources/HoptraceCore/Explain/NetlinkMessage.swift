// Netlink framing as nfnetlink uses it (RFC 3549 §2.3.2; include/uapi/linux/netlink.h,
// include/uapi/linux/netfilter/nfnetlink.h): nlmsghdr (16 bytes, host byte order), then
// nfgenmsg (4 bytes), then attributes: nlattr {len u16, type u16} (host order), payload,
// padded to 4. Attribute PAYLOADS of nf_tables are big-endian (NLA_U32 = htonl).
// Every read is bounds-checked: a message may be cut anywhere or be any bytes at all.

/// One netlink message split into header, nfgenmsg and top-level attributes.
public struct NetlinkMessage: Sendable, Equatable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    /// nfgenmsg: the NFPROTO family (1 inet, 2 ipv4, 7 bridge, 10 ipv6), version, res_id.
    public var family: UInt8
    public var version: UInt8
    public var resourceID: UInt16
    public var attributes: [NetlinkAttribute]

    /// Parses one message: nlmsghdr + nfgenmsg + attributes.
    public init(_ bytes: [UInt8]) throws(NetlinkParseError) {
        guard bytes.count >= 16 else { throw .truncated("nlmsghdr") }
        let len = Int(Self.le32(bytes, 0))
        guard len >= 20, len <= bytes.count else {
            throw len < 20 && len >= 16 ? .truncated("nfgenmsg") : .badLength("nlmsghdr", len)
        }
        type = Self.le16(bytes, 4)
        flags = Self.le16(bytes, 6)
        sequence = Self.le32(bytes, 8)
        portID = Self.le32(bytes, 12)
        family = bytes[16]
        version = bytes[17]
        resourceID = UInt16(bytes[18]) << 8 | UInt16(bytes[19])
        attributes = try NetlinkAttribute.parse(bytes, from: 20, to: len)
    }

    /// The attribute with `type` (the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits ignored).
    public func attribute(_ type: UInt16) -> NetlinkAttribute? {
        attributes.first { $0.type == type }
    }

    static func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    static func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
    static func align4(_ n: Int) -> Int { (n + 3) & ~3 }
}

/// One attribute: its type (flags masked off) and payload.
public struct NetlinkAttribute: Sendable, Equatable {
    public var type: UInt16
    public var nested: Bool
    public var payload: [UInt8]

    public init(type: UInt16, nested: Bool = false, payload: [UInt8]) {
        self.type = type
        self.nested = nested
        self.payload = payload
    }

    /// The attributes in `bytes[from..<to]`; trailing padding shorter than a header is ignored.
    public static func parse(_ bytes: [UInt8], from: Int, to: Int) throws(NetlinkParseError) -> [NetlinkAttribute] {
        var out: [NetlinkAttribute] = []
        var o = from
        let end = min(to, bytes.count)
        while end - o >= 4 {
            let len = Int(NetlinkMessage.le16(bytes, o))
            let rawType = NetlinkMessage.le16(bytes, o + 2)
            guard len >= 4, len <= end - o else { throw .badLength("nlattr \(rawType & 0x3fff)", len) }
            out.append(NetlinkAttribute(type: rawType & 0x3fff, nested: rawType & 0x8000 != 0,
                                        payload: Array(bytes[o + 4..<o + len])))
            o += NetlinkMessage.align4(len)
        }
        return out
    }

    /// The attributes nested in this one.
    public func children() throws(NetlinkParseError) -> [NetlinkAttribute] {
        try Self.parse(payload, from: 0, to: payload.count)
    }

    public func be32() throws(NetlinkParseError) -> UInt32 {
        guard payload.count >= 4 else { throw .truncated("u32 attribute \(type)") }
        return UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3])
    }

    public func be16() throws(NetlinkParseError) -> UInt16 {
        guard payload.count >= 2 else { throw .truncated("u16 attribute \(type)") }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }

    public func be64() throws(NetlinkParseError) -> UInt64 {
        guard payload.count >= 8 else { throw .truncated("u64 attribute \(type)") }
        return payload[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
    }

    public func u8() throws(NetlinkParseError) -> UInt8 {
        guard let b = payload.first else { throw .truncated("u8 attribute \(type)") }
        return b
    }

    /// An NLA_STRING: up to the first NUL; invalid UTF-8 is repaired, never trapped on.
    public var string: String {
        let bytes = payload.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public enum NetlinkParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(String)
    case badLength(String, Int)
    case notATrace(type: UInt16)

    public var description: String {
        switch self {
        case .truncated(let what): return "netlink message truncated in \(what)"
        case .badLength(let what, let len): return "netlink \(what) has an impossible length \(len)"
        case .notATrace(let type): return "netlink message type 0x" + String(type, radix: 16) + " is not an nftables trace"
        }
    }
}
