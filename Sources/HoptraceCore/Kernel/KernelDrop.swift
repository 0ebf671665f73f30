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
    private static let reasonKey = Array("reason: ".utf8), reasonEqualsKey = Array("reason=".utf8)
    private static let locationKey = Array("location=".utf8), protocolKey = Array("protocol=".utf8)

    /// One line as bytes (a trace_pipe read), without copying it into a String first. Under a
    /// flood of drops this runs per packet: the fields are checked as bytes, and a String is
    /// made only of what is kept.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> KernelDrop? {
        guard let at = find(event, in: b, from: 0),
              let reason = field(after: reasonKey, in: b, from: at) ?? field(after: reasonEqualsKey, in: b, from: at),
              all(b[reason], { $0 == "_" || $0.isUppercase || $0.isNumber }, ascii: isUpperOrDigit) else { return nil }
        // The timestamp: the token ending where the event name begins.
        var start = at
        while start > 0, b[start - 1] != UInt8(ascii: " ") { start -= 1 }
        let timestamp = Double(text(b[start..<at]))
        var location: String?
        if let l = field(after: locationKey, in: b, from: at) {
            // `ip_rcv_finish_core+0x1c0/0x420`: the function; a bare `0x…` address says nothing.
            var end = l.lowerBound
            while end < l.upperBound, b[end] != UInt8(ascii: "+") { end += 1 }
            let function = b[l.lowerBound..<end]
            let address = function.count >= 2 && function.first == UInt8(ascii: "0") && function.dropFirst().first == UInt8(ascii: "x")
            if !function.isEmpty, !address, all(function, { $0 == "_" || $0 == "." || $0.isLetter || $0.isNumber }, ascii: isSymbolByte) {
                location = text(function)
            }
        }
        return KernelDrop(timestamp: timestamp, protocolNumber: field(after: protocolKey, in: b, from: at).flatMap { Int(text(b[$0])) },
                          location: location, reason: text(b[reason]))
    }

    /// Where the value after `key` lies (up to the next space or newline), past `from`; nil when empty.
    static func field(after key: [UInt8], in b: UnsafeBufferPointer<UInt8>, from: Int) -> Range<Int>? {
        guard let i = find(key, in: b, from: from) else { return nil }
        var end = i + key.count
        while end < b.count, b[end] != UInt8(ascii: " "), b[end] != UInt8(ascii: "\n") { end += 1 }
        return end > i + key.count ? (i + key.count)..<end : nil
    }

    static func text(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes), as: UTF8.self)
    }

    /// Whether every character passes `test`: byte by byte while they are ASCII (`ascii`, the
    /// same test on a byte), by Character otherwise.
    static func all(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ test: (Character) -> Bool, ascii: (UInt8) -> Bool) -> Bool {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return text(bytes).allSatisfy(test) }
        return bytes.allSatisfy(ascii)
    }

    static func isUpperOrDigit(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "_") || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    static func isSymbolByte(_ c: UInt8) -> Bool {
        isUpperOrDigit(c) || c == UInt8(ascii: ".") || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
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
