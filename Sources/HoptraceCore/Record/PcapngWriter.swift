// pcapng (draft-ietf-opsawg-pcapng): Section Header, one Interface Description
// per capture point (if_name "netns:iface", if_MACaddr, microsecond timestamps),
// Enhanced Packet Blocks with epb_flags direction, and hoptrace's conntrack events
// in Custom Blocks (see ConntrackRecord). Little-endian, as written on x86 and arm.

/// Encodes pcapng blocks as bytes; writing them anywhere is the caller's job.
public enum PcapngWriter {
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceType: UInt32 = 1
    static let enhancedPacketType: UInt32 = 6
    /// A Custom Block that must not be copied into other files by editors (the draft's 0x40000BAD).
    static let customType: UInt32 = 0x4000_0BAD
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// IANA's Private Enterprise Number reserved for documentation and examples (RFC 5612):
    /// hoptrace has none of its own, and this one can never collide with a registered vendor's.
    static let enterpriseNumber: UInt32 = 32473

    public static func sectionHeader(application: String) -> [UInt8] {
        var body = Bytes()
        body.u32(byteOrderMagic)
        body.u16(1)
        body.u16(0)
        body.u64(UInt64.max)  // section length unknown: we stream
        body.option(4, Array(application.utf8))  // shb_userappl
        body.endOfOptions()
        return block(sectionHeaderType, body)
    }

    public static func interface(_ i: RecordedInterface) -> [UInt8] {
        var body = Bytes()
        body.u16(UInt16(truncatingIfNeeded: i.linkType))
        body.u16(0)
        body.u32(UInt32(max(0, i.snapLength)))
        body.option(2, Array(i.point.description.utf8))  // if_name
        if i.mac.count == 6 { body.option(6, i.mac) }  // if_MACaddr
        body.option(9, [6])  // if_tsresol: microseconds
        body.endOfOptions()
        return block(interfaceType, body)
    }

    /// `direction`: 1 inbound, 2 outbound, 0 unknown (epb_flags bits 0–1).
    public static func packet(interface: Int, micros: Int64, captured: [UInt8], wireLength: Int, direction: UInt32) -> [UInt8] {
        var body = Bytes()
        body.u32(UInt32(interface))
        body.u32(UInt32(truncatingIfNeeded: UInt64(bitPattern: micros) >> 32))
        body.u32(UInt32(truncatingIfNeeded: UInt64(bitPattern: micros)))
        body.u32(UInt32(captured.count))
        body.u32(UInt32(max(0, wireLength)))
        body.raw(captured)
        body.pad()
        if direction != 0 {
            body.option(2, Bytes.le32(direction))
            body.endOfOptions()
        }
        return block(enhancedPacketType, body)
    }

    public static func custom(_ payload: [UInt8]) -> [UInt8] {
        var body = Bytes()
        body.u32(enterpriseNumber)
        body.raw(payload)
        body.pad()
        return block(customType, body)
    }

    static func block(_ type: UInt32, _ body: Bytes) -> [UInt8] {
        let total = UInt32(12 + body.bytes.count)
        var b = Bytes()
        b.u32(type)
        b.u32(total)
        b.raw(body.bytes)
        b.u32(total)
        return b.bytes
    }
}

/// One capture point as the file describes it.
public struct RecordedInterface: Sendable, Equatable {
    public var point: CapturePoint
    public var linkType: Int
    public var snapLength: Int
    /// The interface's own MAC: on Ethernet it tells in from out when the file is replayed.
    public var mac: [UInt8]

    public init(point: CapturePoint, linkType: Int, snapLength: Int, mac: [UInt8]) {
        self.point = point
        self.linkType = linkType
        self.snapLength = snapLength
        self.mac = mac
    }
}

/// Little-endian byte building for the writer.
struct Bytes {
    var bytes: [UInt8] = []

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

    mutating func u16(_ v: UInt16) { bytes += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
    mutating func u32(_ v: UInt32) { bytes += Self.le32(v) }
    mutating func u64(_ v: UInt64) {
        u32(UInt32(truncatingIfNeeded: v))
        u32(UInt32(truncatingIfNeeded: v >> 32))
    }
    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func pad() { bytes += [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) }
    mutating func option(_ code: UInt16, _ value: [UInt8]) {
        u16(code)
        u16(UInt16(value.count))
        raw(value)
        pad()
    }
    mutating func endOfOptions() { u32(0) }
}
