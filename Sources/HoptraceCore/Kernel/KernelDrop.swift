/// One `skb:kfree_skb` line from a tracefs trace_pipe (include/trace/events/skb.h):
/// `  <idle>-0  [001] ..s1.  123.456789: kfree_skb: skbaddr=0x… rx_sk=… protocol=2048 location=nf_hook_slow+0x9c/0xd0 reason: NETFILTER_DROP`
/// Older kernels print `location=0x…` (an address) and no `rx_sk`; the reason is what matters.
/// The task's name (before the timestamp) may hold spaces and colons, so the timestamp is the
/// token just before `: kfree_skb:`.
public struct KernelDrop: Sendable, Equatable {
    /// The tracing clock's seconds.
    public var timestamp: Double?
    /// EtherType (2048 IPv4, 34525 IPv6).
    public var protocolNumber: Int?
    /// The function that freed it (`ip_rcv_finish_core`), without offset; nil when only an address was printed.
    public var location: String?
    /// `NETFILTER_DROP`, `NO_SOCKET`, `IP_RPFILTER`, `NEIGH_FAILED`, …
    public var reason: String

    public init?(traceLine line: String) {
        var line = line
        let parsed: KernelDrop? = line.withUTF8 { Self.parse($0) }
        guard let parsed else { return nil }
        self = parsed
    }

    init(timestamp: Double?, protocolNumber: Int?, location: String?, reason: String) {
        self.timestamp = timestamp
        self.protocolNumber = protocolNumber
        self.location = location
        self.reason = reason
    }

    /// Whether netfilter (a rule or policy) dropped it, as opposed to routing, sockets, neighbours.
    public var isNetfilter: Bool { reason.hasPrefix("NETFILTER") }

    private static let event = Array(": kfree_skb:".utf8)

    /// One line as bytes (a trace_pipe read), without copying it into a String first.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> KernelDrop? {
        guard let at = find(event, in: b, from: 0),
              let reason = value(after: "reason: ", in: b, from: at) ?? value(after: "reason=", in: b, from: at),
              reason.allSatisfy({ $0 == "_" || $0.isUppercase || $0.isNumber }) else { return nil }
        // The timestamp: the token ending where the event name begins.
        var start = at
        while start > 0, b[start - 1] != UInt8(ascii: " ") { start -= 1 }
        let timestamp = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<at]), as: UTF8.self))
        var location = value(after: "location=", in: b, from: at)
        if let l = location {
            // `ip_rcv_finish_core+0x1c0/0x420`: the function; a bare `0x…` address says nothing.
            let function = String(l.prefix { $0 != "+" })
            location = function.hasPrefix("0x") || function.isEmpty
                || !function.allSatisfy({ $0 == "_" || $0 == "." || $0.isLetter || $0.isNumber }) ? nil : function
        }
        return KernelDrop(timestamp: timestamp, protocolNumber: value(after: "protocol=", in: b, from: at).flatMap { Int($0) },
                          location: location, reason: reason)
    }

    /// The value after `key` up to the next space (or the end), past `from`.
    static func value(after key: String, in b: UnsafeBufferPointer<UInt8>, from: Int) -> String? {
        let k = Array(key.utf8)
        guard let i = find(k, in: b, from: from) else { return nil }
        var end = i + k.count
        while end < b.count, b[end] != UInt8(ascii: " "), b[end] != UInt8(ascii: "\n") { end += 1 }
        guard end > i + k.count else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: b[(i + k.count)..<end]), as: UTF8.self)
    }

    static func find(_ needle: [UInt8], in b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard needle.count <= b.count else { return nil }
        var i = from
        while i + needle.count <= b.count {
            if b[i] == needle[0] {
                var j = 1
                while j < needle.count, b[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
