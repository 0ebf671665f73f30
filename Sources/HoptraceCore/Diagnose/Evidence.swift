/// What a diagnosis rests on: a `Diagnosis` says it, and the verdict it explains carries it
/// on (NDJSON's `evidence` is the raw value).
public enum Evidence: String, Sendable {
    /// An nftables trace named the rule that decided the packet's fate.
    case traced
    /// Read from the namespaces' routes, sysctls or ruleset, or deduced from where packets
    /// were and were not seen (the reason then says "likely"): no trace saw the packet die.
    case inferred
    /// Inferred, and the kernel's own drop counter for that cause moved in the namespace while
    /// the requests vanished, no more than they were (`CounterEvidence`).
    case counted
}
