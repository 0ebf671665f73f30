/// An address prefix (172.18.0.0/24): what a bridge or an uplink owns, what a route covers.
public struct IPSubnet: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits cleared).
    public private(set) var address: IPAddress
    public private(set) var prefixLength: Int

    /// Clears the host bits of `address`; the length is clamped to the family's width.
    public init(_ address: IPAddress, prefixLength: Int) {
        switch address {
        case .v4(let a):
            let n = max(0, min(32, prefixLength))
            let mask: UInt32 = n == 0 ? 0 : ~UInt32(0) << UInt32(32 - n)
            self.address = .v4(IPv4Address(a.raw & mask))
            self.prefixLength = n
        case .v6(let a):
            let n = max(0, min(128, prefixLength))
            func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? ~0 : ~UInt64(0) << UInt64(64 - bits) }
            self.address = .v6(IPv6Address(high: a.high & mask(n), low: a.low & mask(n - 64)))
            self.prefixLength = n
        }
    }

    /// Parses IPv4 "172.18.0.0/24" (IPv6 text parsing is not needed yet).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv4Address(String(parts[0])), let n = Int(parts[1]), (0...32).contains(n)
        else { return nil }
        self.init(.v4(a), prefixLength: n)
    }

    public func contains(_ ip: IPAddress) -> Bool {
        switch (address, ip) {
        case (.v4, .v4), (.v6, .v6): IPSubnet(ip, prefixLength: prefixLength).address == address
        default: false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
