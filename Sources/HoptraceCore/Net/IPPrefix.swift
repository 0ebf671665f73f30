/// A network prefix such as 172.18.0.0/24 or ::/0. The address is stored with host bits cleared.
public struct IPPrefix: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let length: Int

    /// Nil when `length` does not fit the family (0...32 or 0...128).
    public init?(_ address: IPAddress, length: Int) {
        guard (0...address.bitWidth).contains(length) else { return nil }
        self.network = address.masked(to: length)
        self.length = length
    }

    /// Clears the host bits of `address`; the length is clamped to the family's width.
    public init(_ address: IPAddress, prefixLength: Int) {
        let n = max(0, min(address.bitWidth, prefixLength))
        self.network = address.masked(to: n)
        self.length = n
    }

    public var prefixLength: Int { length }

    /// Parses "172.18.0.0/24", "fd00::/8", or a bare address (a host prefix).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(String(parts[0])) else { return nil }
        var length = address.bitWidth
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isASCII), let l = Int(parts[1]) else { return nil }
            length = l
        }
        self.init(address, length: length)
    }

    /// 0.0.0.0/0 or ::/0.
    public static func any(like address: IPAddress) -> IPPrefix {
        IPPrefix(address, length: 0)!
    }

    public var isDefault: Bool { length == 0 }

    public func contains(_ address: IPAddress) -> Bool {
        address.sameFamily(as: network) && address.masked(to: length) == network
    }

    public var description: String { "\(network)/\(length)" }
}
