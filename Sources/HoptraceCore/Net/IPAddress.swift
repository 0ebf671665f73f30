/// An IP address as a value; printing is the only thing that makes it text.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    public var v4: IPv4Address? { if case .v4(let a) = self { a } else { nil } }

    /// Multicast (224.0.0.0/4, ff00::/8) or the IPv4 limited broadcast: nobody owes a reply.
    public var isMulticastOrBroadcast: Bool {
        switch self {
        case .v4(let a): a.raw >> 28 == 0xE || a.raw == 0xFFFF_FFFF
        case .v6(let a): a.high >> 56 == 0xFF
        }
    }

    /// Link-scope multicast (224.0.0.0/24; IPv6 multicast of interface or link scope, such as
    /// ff02::/16) or the IPv4 limited broadcast: traffic no router forwards (RFC 5771, RFC 4291 §2.7).
    public var isLinkScopeMulticastOrBroadcast: Bool {
        switch self {
        case .v4(let a): a.raw >> 8 == 0xE0_0000 || a.raw == 0xFFFF_FFFF
        case .v6(let a): a.high >> 56 == 0xFF && (1...2).contains(a.high >> 48 & 0xF)
        }
    }

    /// fe80::/10 or 169.254.0.0/16.
    public var isLinkLocalUnicast: Bool {
        switch self {
        case .v4(let a): a.raw >> 16 == 0xA9FE
        case .v6(let a): a.high >> 54 == 0x3FA
        }
    }

    /// 0.0.0.0 or :: (a source that has no address yet: DHCP discover, duplicate address detection).
    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a.raw == 0
        case .v6(let a): a.high == 0 && a.low == 0
        }
    }

    /// RFC 1918 private IPv4 space, or IPv6 unique-local (RFC 4193): what must not leave an uplink untranslated.
    public var isPrivate: Bool {
        switch self {
        case .v4(let a):
            a.raw >> 24 == 10 || a.raw >> 20 == 0xAC1 || a.raw >> 16 == 0xC0A8
        case .v6(let a):
            a.high >> 57 == 0x7E  // fc00::/7
        }
    }
}

/// An IPv4 address, host byte order.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var raw: UInt32
    public init(_ raw: UInt32) { self.raw = raw }

    /// Parses dotted quad text ("172.18.0.3").
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var raw: UInt32 = 0
        for part in parts {
            guard part.count <= 3, let v = UInt32(part), v < 256 else { return nil }
            raw = raw << 8 | v
        }
        self.raw = raw
    }

    public var description: String {
        // Digit by digit into at most 15 bytes: a small string, no interpolation (NAT
        // rewrites are worded from addresses on every sighting).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buf in
            var n = 0
            func put(_ octet: UInt32) {
                if octet >= 100 {
                    buf[n] = 48 + UInt8(octet / 100)
                    n += 1
                }
                if octet >= 10 {
                    buf[n] = 48 + UInt8(octet / 10 % 10)
                    n += 1
                }
                buf[n] = 48 + UInt8(octet % 10)
                n += 1
            }
            put(raw >> 24)
            for shift: UInt32 in stride(from: 16, through: 0, by: -8) {
                buf[n] = UInt8(ascii: ".")
                n += 1
                put((raw >> shift) & 0xFF)
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[..<n]), as: UTF8.self)
        }
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.raw < b.raw }
}

/// An IPv6 address as two 64-bit halves, network order within each.
public struct IPv6Address: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
    }

    /// RFC 5952 text: lower case, the longest run (≥ 2) of zero groups as "::".
    public var description: String {
        let g = groups
        var bestStart = -1, bestLength = 1, i = 0
        while i < 8 {
            guard g[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && g[j] == 0 { j += 1 }
            if j - i > bestLength { bestStart = i; bestLength = j - i }
            i = j
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(g[$0], radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
