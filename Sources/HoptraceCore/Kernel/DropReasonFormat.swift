/// What this kernel's `skb:kfree_skb` tracepoint carries, read from its `format` file: whether
/// it has the `reason` field (Linux ≥ 5.17) and the numbers of its reasons, which differ from
/// kernel to kernel (a filter names a reason by number only).
public struct DropReasonFormat: Sendable, Equatable {
    /// Reason name by the number the kernel filters on.
    public var names: [Int: String]

    /// nil when the tracepoint has no reason field, or its reasons cannot be read.
    public init?(format: String) {
        guard format.contains("skb_drop_reason reason;") || format.contains(" reason;") else { return nil }
        // `__print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, …)`
        guard let symbolic = format.range(of: "__print_symbolic(REC->reason") else { return nil }
        var names: [Int: String] = [:]
        var rest = format[symbolic.upperBound...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let pair = rest[rest.index(after: open)..<close].split(separator: ",", maxSplits: 1)
            if pair.count == 2, let n = Int(pair[0].trimmingWhitespace()) {
                let name = pair[1].trimmingWhitespace().filter { $0 != "\"" }
                if !name.isEmpty, name.allSatisfy({ $0 == "_" || $0.isUppercase || $0.isNumber }) { names[n] = String(name) }
            }
            rest = rest[rest.index(after: close)...]
        }
        guard !names.isEmpty else { return nil }
        self.names = names
    }

    /// The reason that says nothing ("NOT_SPECIFIED": every kfree_skb not yet given a reason);
    /// the trace is filtered to the others.
    public var notSpecified: Int? { names.first { $0.value == "NOT_SPECIFIED" }?.key }

    /// The tracepoint filter keeping IPv4 and IPv6 packets freed for a stated reason.
    public var filter: String? {
        notSpecified.map { "reason != \($0) && (protocol == 2048 || protocol == 34525)" }
    }
}
