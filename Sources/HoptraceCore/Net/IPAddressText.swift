/// Text → address parsing (RFC 4291 §2.2 for IPv6), for iproute2's JSON and command lines.
extension IPAddress {
    /// Parses "172.18.0.3" or "fe80::1" (a "%zone" suffix is ignored).
    public init?(_ text: String) {
        if text.contains(":") {
            guard let a = IPv6Address(text) else { return nil }
            self = .v6(a)
        } else {
            guard let a = IPv4Address(text) else { return nil }
            self = .v4(a)
        }
    }

    /// Bits in an address of this family: 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The address with every bit after the first `length` cleared.
    public func masked(to length: Int) -> IPAddress {
        func mask64(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? ~0 : ~0 << UInt64(64 - bits) }
        switch self {
        case .v4(let a):
            let mask: UInt32 = length <= 0 ? 0 : length >= 32 ? ~0 : ~0 << UInt32(32 - length)
            return .v4(IPv4Address(a.raw & mask))
        case .v6(let a):
            return .v6(IPv6Address(high: a.high & mask64(length), low: a.low & mask64(length - 64)))
        }
    }

    /// Whether both addresses are of the same family.
    public func sameFamily(as other: IPAddress) -> Bool { bitWidth == other.bitWidth }
}

extension IPv6Address {
    /// Parses RFC 4291 text: eight groups, one "::", an optional dotted IPv4 tail, an ignored "%zone".
    public init?(_ text: String) {
        var s = Substring(text)
        if let zone = s.firstIndex(of: "%") { s = s[..<zone] }
        guard !s.isEmpty, s.count <= 45 else { return nil }
        var groups: [UInt16]
        if let gap = Self.doubleColon(in: s) {
            guard let head = Self.groups(s[..<gap.lowerBound], v4Tail: false),
                  let tail = Self.groups(s[gap.upperBound...], v4Tail: true),
                  head.count + tail.count <= 7,
                  Self.doubleColon(in: s[gap.upperBound...]) == nil
            else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = Self.groups(s, v4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for g in groups[0..<4] { high = high << 16 | UInt64(g) }
        for g in groups[4..<8] { low = low << 16 | UInt64(g) }
        self.init(high: high, low: low)
    }

    private static func doubleColon(in s: Substring) -> Range<Substring.Index>? {
        var i = s.startIndex
        while i < s.endIndex {
            let next = s.index(after: i)
            if next < s.endIndex, s[i] == ":", s[next] == ":" { return i..<s.index(after: next) }
            i = next
        }
        return nil
    }

    private static func groups(_ part: Substring, v4Tail: Bool) -> [UInt16]? {
        guard !part.isEmpty else { return [] }
        let fields = part.split(separator: ":", omittingEmptySubsequences: false)
        var out: [UInt16] = []
        for (i, field) in fields.enumerated() {
            if v4Tail, i == fields.count - 1, field.contains(".") {
                guard let v4 = IPv4Address(String(field)) else { return nil }
                out += [UInt16(v4.raw >> 16), UInt16(v4.raw & 0xFFFF)]
            } else {
                guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit),
                      let v = UInt16(field, radix: 16) else { return nil }
                out.append(v)
            }
        }
        return out
    }
}
