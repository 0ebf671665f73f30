/// The kernel's own count of what it dropped, one network namespace at a time: the IP MIB
/// (`/proc/net/snmp`, RFC 4293's counters and RFC 2011's names), Linux's extensions
/// (`/proc/net/netstat`) and conntrack's statistics (`/proc/net/stat/nf_conntrack`,
/// `nf_conntrack_count`, `nf_conntrack_max`).
///
/// Why: a drop that no nftables rule makes (reverse-path filtering, no route, forwarding off, TTL
/// expiry, DF over a smaller MTU, conntrack INVALID or full) leaves nothing to capture, but the
/// namespace that dropped the packet counts it. Two samples around a journey turn "likely" into
/// "counted" (issue 17). What each counter means, and which kernel function moves it, is in
/// `meanings`; Tests/Fixtures/kernel/README.md records what moved, packet by packet, in a lab.
///
/// Pure: the edge reads the files inside the namespace; this file only parses text. Each parser
/// refuses input over `Limits` before it looks at a field, never traps, and throws a
/// `KernelCountersError` that names the file and the line.
///
/// Keys are `Prefix.Name` as the kernel prints them: `Ip.InAddrErrors`, `IcmpMsg.OutType3`,
/// `TcpExt.IPReversePathFilter`, `IpExt.InNoRoutes` (there is no `Ip.InNoRoutes`: the snmp file
/// has no such column), and `nf_conntrack.<column>` for conntrack, plus `nf_conntrack.count`
/// and `nf_conntrack.max` from the two sysctl files.
public struct KernelCounters: Sendable, Equatable {
    /// Every counter of the files read, by key.
    public var values: [String: UInt64]

    public init(values: [String: UInt64]) {
        self.values = values
    }

    public subscript(_ key: String) -> UInt64? { values[key] }

    /// One sample from whichever texts the namespace has. Each may be absent: a namespace where
    /// nothing loaded conntrack has no `/proc/net/stat/nf_conntrack`, and a caller may read only
    /// what it needs. The files' keys never overlap (their prefixes differ); a key found in two
    /// of them is refused. With a selection only its keys are kept: every line of every file is
    /// still validated, and the check across files covers the kept keys.
    /// - Parameters:
    ///   - snmp: `/proc/net/snmp`.
    ///   - netstat: `/proc/net/netstat`.
    ///   - conntrackStat: `/proc/net/stat/nf_conntrack`.
    ///   - count: `/proc/sys/net/netfilter/nf_conntrack_count`, as `nf_conntrack.count`.
    ///   - max: `/proc/sys/net/netfilter/nf_conntrack_max`, as `nf_conntrack.max`.
    ///   - selection: the keys to keep (nil: all).
    public init(
        snmp: String? = nil, netstat: String? = nil, conntrackStat: String? = nil,
        count: String? = nil, max: String? = nil, keeping selection: KernelCounterSelection? = nil
    ) throws(KernelCountersError) {
        var values: [String: UInt64] = [:]
        if let snmp { try Self.merge(Self.parseSNMP(snmp, keeping: selection), into: &values, file: File.snmp) }
        if let netstat { try Self.merge(Self.parseNetstat(netstat, keeping: selection), into: &values, file: File.netstat) }
        if let conntrackStat {
            try Self.merge(Self.parseConntrackStat(conntrackStat, keeping: selection), into: &values, file: File.conntrackStat)
        }
        for (text, key, file) in [(count, "nf_conntrack.count", File.conntrackCount), (max, "nf_conntrack.max", File.conntrackMax)] {
            guard let text else { continue }
            let value = try Self.parseDecimal(text, file: file)
            if selection?.contains(key) ?? true { try Self.merge([key: value], into: &values, file: file) }
        }
        self.values = values
    }

    /// Where each text comes from (inside the namespace); errors name the file.
    public enum File {
        public static let snmp = "/proc/net/snmp"
        public static let netstat = "/proc/net/netstat"
        public static let conntrackStat = "/proc/net/stat/nf_conntrack"
        public static let conntrackCount = "/proc/sys/net/netfilter/nf_conntrack_count"
        public static let conntrackMax = "/proc/sys/net/netfilter/nf_conntrack_max"
    }

    /// How much text a parser reads. Real files are far smaller: on Linux 6.18 snmp is 1.2 KiB
    /// in 12 lines, netstat 4 KiB in 6 lines (its longest line, TcpExt's, has 136 fields), and
    /// the conntrack file one 150-byte line per possible CPU, so 256 KiB holds about 1,700 CPUs.
    public enum Limits {
        public static let bytes = 256 << 10
        public static let lines = 4096
        public static let fieldsPerLine = 1024
    }
}

// MARK: - Deltas

extension KernelCounters {
    /// What moved since `earlier`, by key: only keys whose value changed.
    ///
    /// - A key absent from `earlier` counts from 0 there: `IcmpMsg` columns appear only once
    ///   something was counted, and conntrack's file appears when conntrack is loaded.
    /// - A key absent from this sample is left out: there is nothing to compare it with.
    /// - A counter that went backwards was reset (the namespace or conntrack started over) or
    ///   wrapped; what it counted since is at least its new value, so that is what is reported,
    ///   and a counter reset to 0 is left out. (Conntrack's per-CPU counters are 32 bits, so a
    ///   wrap of one CPU's share is possible after 2³² events; hoptrace then reports too much,
    ///   never a negative count.)
    /// - `levels` (table sizes, settings, open connections) go up and down: their delta is the
    ///   signed difference.
    public func delta(since earlier: KernelCounters) -> [String: Int64] {
        var moved: [String: Int64] = [:]
        for (key, now) in values {
            let before = earlier.values[key] ?? 0
            if now == before { continue }
            if now > before {
                moved[key] = Int64(clamping: now - before)
            } else if Self.levels.contains(key) {
                moved[key] = -Int64(clamping: before - now)
            } else if now > 0 {
                moved[key] = Int64(clamping: now)
            }
        }
        return moved
    }

    /// Keys whose values are levels, not counts of events: they may go down. `Tcp.MaxConn` is
    /// listed though Linux prints it as -1 (skipped), in case a kernel ever prints a limit.
    public static let levels: Set<String> = [
        "Ip.Forwarding", "Ip.DefaultTTL",
        "Tcp.RtoAlgorithm", "Tcp.RtoMin", "Tcp.RtoMax", "Tcp.MaxConn", "Tcp.CurrEstab",
        "MPTcpExt.MPCurrEstab",
        "nf_conntrack.entries", "nf_conntrack.count", "nf_conntrack.max",
    ]
}
