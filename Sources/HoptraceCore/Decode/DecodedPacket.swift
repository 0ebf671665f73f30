/// Direction of a packet at its capture point, from the cooked (SLL2) header.
public enum PacketDirection: String, Sendable {
    case inbound = "in", outbound = "out", host, other
}

/// The headers hoptrace cares about, decoded. Addresses stay as integers until printed.
public struct DecodedPacket: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        case icmp(type: UInt8, code: UInt8, id: UInt16?, seq: UInt16?)
        case tcp(sport: UInt16, dport: UInt16, flags: UInt8, seq: UInt32, ack: UInt32)
        case udp(sport: UInt16, dport: UInt16)
        case other(proto: UInt8)
        /// The IP header was complete but the transport header was cut off.
        case truncated(proto: UInt8)
    }

    public var direction: PacketDirection
    public var etherType: UInt16
    public var src: IPAddress?
    public var dst: IPAddress?
    public var ipID: UInt16 = 0
    public var ttl: UInt8 = 0
    public var length: Int
    public var transport: Transport?
}
