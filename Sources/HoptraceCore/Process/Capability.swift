/// The Linux capabilities hoptrace talks about (capabilities(7)), by their bit number.
/// Only the ones a feature needs have names; any other bit prints as its number.
public enum Capability: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case dacOverride = 1
    case setpcap = 8
    case netAdmin = 12
    case netRaw = 13
    case sysPtrace = 19
    case sysAdmin = 21

    public var description: String {
        switch self {
        case .dacOverride: "CAP_DAC_OVERRIDE"
        case .setpcap: "CAP_SETPCAP"
        case .netAdmin: "CAP_NET_ADMIN"
        case .netRaw: "CAP_NET_RAW"
        case .sysPtrace: "CAP_SYS_PTRACE"
        case .sysAdmin: "CAP_SYS_ADMIN"
        }
    }

    /// What `watch` keeps after opening its sockets and files, and why each one:
    /// CAP_NET_RAW opens capture handles (also again when an interface comes back),
    /// CAP_NET_ADMIN subscribes to conntrack and nftables traces and runs `nft`,
    /// CAP_SYS_ADMIN enters other network namespaces (setns, `nsenter`, `ip -n`).
    public static let watchKeeps: CapabilityMask = [.netAdmin, .netRaw, .sysAdmin]

    public static func < (a: Capability, b: Capability) -> Bool { a.rawValue < b.rawValue }
}

/// A set of capabilities as the kernel writes it: bit N is capability N (`CapEff:` in hex).
public struct CapabilityMask: Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var bits: UInt64

    public init(bits: UInt64) { self.bits = bits }
    public init(arrayLiteral caps: Capability...) { self.init(caps) }
    public init(_ caps: some Sequence<Capability>) {
        bits = caps.reduce(0) { $0 | 1 << UInt64($1.rawValue) }
    }

    public static let empty = CapabilityMask(bits: 0)

    public func contains(_ cap: Capability) -> Bool { contains(bit: cap.rawValue) }
    public func contains(bit: Int) -> Bool { bit >= 0 && bit < 64 && bits & (1 << UInt64(bit)) != 0 }
    public func isSubset(of other: CapabilityMask) -> Bool { bits & ~other.bits == 0 }
    public func intersection(_ other: CapabilityMask) -> CapabilityMask { CapabilityMask(bits: bits & other.bits) }
    public var isEmpty: Bool { bits == 0 }

    /// The set bits, lowest first.
    public var numbers: [Int] { (0..<64).filter { contains(bit: $0) } }

    /// `CAP_NET_ADMIN,CAP_NET_RAW`, `cap_30` for a bit without a name here, `none` when empty.
    public var description: String {
        guard !isEmpty else { return "none" }
        return numbers.map { Capability(rawValue: $0)?.description ?? "cap_\($0)" }.joined(separator: ",")
    }
}

/// One thread's credentials as /proc/PID/task/TID/status shows them (proc(5)): the five
/// capability sets, no_new_privs and the user ids. Parsing is total: a text without the
/// capability lines is nil; a missing NoNewPrivs or Uid line (old kernels) reads as 0 / nil.
public struct ThreadCredentials: Sendable, Equatable {
    public var inheritable: CapabilityMask
    public var permitted: CapabilityMask
    public var effective: CapabilityMask
    public var bounding: CapabilityMask
    public var ambient: CapabilityMask
    public var noNewPrivs: Bool
    /// Real and effective user id.
    public var uid: (real: UInt32, effective: UInt32)?

    public init?(procStatus text: String) {
        var fields: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon]] = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
        }
        func mask(_ key: Substring) -> CapabilityMask? {
            fields[key].flatMap { UInt64($0.trimmingSuffix(), radix: 16) }.map(CapabilityMask.init(bits:))
        }
        guard let inh = mask("CapInh"), let prm = mask("CapPrm"), let eff = mask("CapEff"), let bnd = mask("CapBnd") else { return nil }
        inheritable = inh
        permitted = prm
        effective = eff
        bounding = bnd
        ambient = mask("CapAmb") ?? .empty
        noNewPrivs = fields["NoNewPrivs"].map { $0.trimmingSuffix() == "1" } ?? false
        let ids = fields["Uid"].map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { UInt32($0) } } ?? []
        uid = ids.count >= 2 ? (ids[0], ids[1]) : nil
    }

    public static func == (a: ThreadCredentials, b: ThreadCredentials) -> Bool {
        a.inheritable == b.inheritable && a.permitted == b.permitted && a.effective == b.effective
            && a.bounding == b.bounding && a.ambient == b.ambient && a.noNewPrivs == b.noNewPrivs
            && a.uid?.real == b.uid?.real && a.uid?.effective == b.uid?.effective
    }

    /// Holds nothing outside `allowed` in any set it or a program it starts could use. The
    /// bounding set counts only for uid 0 (exec as root grants it; a user's exec grants nothing
    /// from it, and no_new_privs stops file capabilities), and a user cannot shrink it.
    public func holdsAtMost(_ allowed: CapabilityMask) -> Bool {
        let sets = [permitted, effective, inheritable, ambient] + (uid?.effective == 0 || uid == nil ? [bounding] : [])
        return sets.allSatisfy { $0.isSubset(of: allowed) }
    }

    /// One line for `--debug-caps` and the tests: `uid=0/0 eff=… prm=… inh=… bnd=… amb=… nnp=1`.
    public var summary: String {
        let ids = uid.map { "\($0.real)/\($0.effective)" } ?? "?"
        return "uid=\(ids) eff=\(effective) prm=\(permitted) inh=\(inheritable) bnd=\(bounding) amb=\(ambient) nnp=\(noNewPrivs ? 1 : 0)"
    }
}

private extension Substring {
    func trimmingSuffix() -> Substring {
        var s = self
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s = s.dropLast() }
        return s
    }
}
