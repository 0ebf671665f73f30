/// A conntrack event as hoptrace records it in a pcapng Custom Block: the
/// namespace it came from, the time it was read, and every field of the event.
/// Layout (version 1, network byte order): version u8, time µs i64, netns
/// (u16 length, 0xFFFF = current namespace, UTF-8), kind u8, proto u8, orig and
/// reply tuples, status u32, TCP state (u8 present, u8), timeout (u8 present, u32),
/// mark u32, zone u16, id u32, then (optional, absent in older records and read as
/// absent from the block's zero padding) counters: u8 present + four u64. A tuple: family u8 (4|6), addresses, then flags u8
/// (1 ports, 2 icmp) with sport u16 dport u16 / type u8 code u8 id u16.
public struct ConntrackRecord: Sendable, Equatable {
    public var netns: String?
    public var micros: Int64
    public var event: ConntrackEvent

    public init(netns: String?, micros: Int64, event: ConntrackEvent) {
        self.netns = netns
        self.micros = micros
        self.event = event
    }

    static let version: UInt8 = 1
    static let kinds: [ConntrackEvent.Kind] = [.new, .update, .destroy, .existing]

    public var encoded: [UInt8] {
        var b = BigEndianBytes()
        b.u8(Self.version)
        b.u64(UInt64(bitPattern: micros))
        b.namespaceName(netns)
        b.u8(UInt8(Self.kinds.firstIndex(of: event.kind) ?? 0))
        b.u8(event.proto)
        for t in [event.orig, event.reply] { Self.encode(t, into: &b) }
        b.u32(event.status.rawValue)
        b.u8(event.tcpState == nil ? 0 : 1)
        b.u8(event.tcpState ?? 0)
        b.u8(event.timeout == nil ? 0 : 1)
        b.u32(event.timeout ?? 0)
        b.u32(event.mark)
        b.u16(event.zone)
        b.u32(event.id)
        if let c = event.counters {
            b.u8(1)
            for v in [c.origPackets, c.origBytes, c.replyPackets, c.replyBytes] { b.u64(v) }
        }
        return b.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var c = ByteCursor(bytes)
        let version = try c.u8("conntrack record")
        guard version == Self.version else { throw .unsupported("conntrack record version \(version)") }
        micros = Int64(bitPattern: UInt64(try c.u32("conntrack record")) << 32 | UInt64(try c.u32("conntrack record")))
        netns = try c.namespaceName("conntrack record")
        let kindIndex = Int(try c.u8("conntrack record"))
        guard kindIndex < Self.kinds.count else { throw .unsupported("conntrack event kind \(kindIndex)") }
        let proto = try c.u8("conntrack record")
        let orig = try Self.decodeTuple(&c), reply = try Self.decodeTuple(&c)
        let status = try c.u32("conntrack record")
        let hasState = try c.u8("conntrack record"), state = try c.u8("conntrack record")
        let hasTimeout = try c.u8("conntrack record"), timeout = try c.u32("conntrack record")
        event = ConntrackEvent(
            kind: Self.kinds[kindIndex], proto: proto, orig: orig, reply: reply, status: status,
            tcpState: hasState != 0 ? state : nil, timeout: hasTimeout != 0 ? timeout : nil,
            mark: try c.u32("conntrack record"), zone: try c.u16("conntrack record"), id: try c.u32("conntrack record"))
        if c.remaining > 0, try c.u8("conntrack record") == 1 {
            func u64() throws(DecodeError) -> UInt64 { UInt64(try c.u32("conntrack counters")) << 32 | UInt64(try c.u32("conntrack counters")) }
            event.counters = .init(origPackets: try u64(), origBytes: try u64(), replyPackets: try u64(), replyBytes: try u64())
        }
    }

    static func encode(_ t: ConntrackEvent.Tuple, into b: inout BigEndianBytes) {
        for a in [t.src, t.dst] {
            switch a {
            case .v4(let v): b.u8(4); b.u32(v.raw)
            case .v6(let v): b.u8(6); b.u64(v.high); b.u64(v.low)
            }
        }
        if let icmp = t.icmp {
            b.u8(2)
            b.u8(icmp.type)
            b.u8(icmp.code)
            b.u16(icmp.id)
        } else if let s = t.sport, let d = t.dport {
            b.u8(1)
            b.u16(s)
            b.u16(d)
        } else {
            b.u8(0)
        }
    }

    static func decodeTuple(_ c: inout ByteCursor) throws(DecodeError) -> ConntrackEvent.Tuple {
        func address() throws(DecodeError) -> IPAddress {
            switch try c.u8("conntrack tuple") {
            case 4: return .v4(IPv4Address(try c.u32("conntrack tuple")))
            case 6:
                let h = UInt64(try c.u32("conntrack tuple")) << 32 | UInt64(try c.u32("conntrack tuple"))
                let l = UInt64(try c.u32("conntrack tuple")) << 32 | UInt64(try c.u32("conntrack tuple"))
                return .v6(IPv6Address(high: h, low: l))
            case let f: throw .unsupported("address family \(f)")
            }
        }
        var t = ConntrackEvent.Tuple(src: try address(), dst: try address())
        switch try c.u8("conntrack tuple") {
        case 2: t.icmp = (try c.u8("conntrack tuple"), try c.u8("conntrack tuple"), try c.u16("conntrack tuple"))
        case 1:
            t.sport = try c.u16("conntrack tuple")
            t.dport = try c.u16("conntrack tuple")
        default: break
        }
        return t
    }
}

struct BigEndianBytes {
    /// A namespace name as records carry it: u16 length then UTF-8, 0xFFFF for the current namespace.
    mutating func namespaceName(_ name: String?) {
        guard let name else { return u16(0xFFFF) }
        let utf8 = Array(name.utf8.prefix(4096))
        u16(UInt16(utf8.count))
        bytes += utf8
    }

    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(truncatingIfNeeded: v)] }
    mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(truncatingIfNeeded: v)) }
    mutating func u64(_ v: UInt64) { u32(UInt32(v >> 32)); u32(UInt32(truncatingIfNeeded: v)) }
}

extension ByteCursor {
    /// What `BigEndianBytes.namespaceName` wrote.
    mutating func namespaceName(_ layer: String) throws(DecodeError) -> String? {
        let length = Int(try u16(layer))
        guard length != 0xFFFF else { return nil }
        let at = offset
        try skip(length, layer)
        return String(decoding: bytes[at..<(at + length)], as: UTF8.self)
    }
}
