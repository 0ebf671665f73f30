/// One `skb:kfree_skb` line from a tracefs trace_pipe (include/trace/events/skb.h):
/// `  <idle>-0  [001] ..s1.  123.456789: kfree_skb: skbaddr=0x… rx_sk=… protocol=2048 location=nf_hook_slow+0x9c/0xd0 reason: NETFILTER_DROP`
/// Older kernels print `location=0x…` (an address) and no `rx_sk`; the reason is what matters.
public struct KernelDrop: Sendable, Equatable {
    /// The tracing clock's seconds.
    public var timestamp: Double?
    /// EtherType (2048 IPv4, 34525 IPv6).
    public var protocolNumber: Int?
    public var location: String?
    /// `NETFILTER_DROP`, `NO_SOCKET`, `IP_RPFILTER`, `NEIGH_FAILED`, …
    public var reason: String

    public init?(traceLine line: String) {
        guard line.contains("kfree_skb:"), let r = Self.field("reason: ", in: line) ?? Self.field("reason=", in: line) else { return nil }
        reason = r
        location = Self.field("location=", in: line)
        protocolNumber = Self.field("protocol=", in: line).flatMap { Int($0) }
        let beforeEvent = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        timestamp = beforeEvent.split(separator: " ").last.flatMap { Double($0) }
    }

    /// Whether netfilter (a rule or policy) dropped it, as opposed to routing, sockets, neighbours.
    public var isNetfilter: Bool { reason.hasPrefix("NETFILTER") }

    /// The value after `key` up to the next space.
    static func field(_ key: String, in line: String) -> String? {
        let chars = Array(line), k = Array(key)
        guard chars.count >= k.count else { return nil }
        for i in 0...(chars.count - k.count) where Array(chars[i..<i + k.count]) == k {
            let value = chars[(i + k.count)...].prefix { $0 != " " }
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }
}
