/// `type:"trace"` NDJSON lines (explain mode): the kernel's nftables trace of one packet —
/// every rule it met, in order, and the verdict that decided its fate.
public enum TraceJSON {
    public static func line(_ p: RulePath, flow: Int?, time: EventTime) -> String {
        var j = EventJSON.header("trace", netns: p.netns, seconds: time.seconds, micros: time.microsOfSecond)
        if let flow { j.add("flow", flow) } else { j.addNull("flow") }
        if let pkt = p.packets.first, let src = pkt.src, let dst = pkt.dst {
            var o = JSONLine()
            o.add("src", src.description)
            o.add("dst", dst.description)
            o.add("proto", pkt.proto.map(IPProtocol.name) ?? "ip")
            o.add("ipid", Int(pkt.ipID))
            j.add("packet", o)
        }
        if let v = p.verdictText { j.add("verdict", v) } else { j.addNull("verdict") }
        j.add("dropped", p.dropped)
        j.add("rules", p.lines)
        return j.text
    }

    /// `--text`: `trace hthost flow 1: ip filter FORWARD policy drop`. Rule texts (their
    /// comments are anyone's words) and the namespace are shown escaped (`TerminalText`).
    public static func text(_ p: RulePath, flow: Int?) -> String {
        TerminalText.safe(
            "trace \(p.netns ?? "-")\(flow.map { " flow \($0)" } ?? ""): \(p.verdictText ?? "no verdict yet")"
                + (p.lines.count > 1 ? " (via \(p.lines.dropLast().joined(separator: "; ")))" : ""))
    }
}

/// `type:"diagnosis"`: a problem found without a flow to hang it on (S6: a namespace that
/// cannot send at all): `id`, `reason`, `fix`, `evidence`.
public enum DiagnosisJSON {
    public static func line(_ d: Diagnosis, netns: String?, time: EventTime) -> String {
        var j = EventJSON.header("diagnosis", netns: netns, seconds: time.seconds, micros: time.microsOfSecond)
        j.add("id", d.id)
        j.add("reason", d.reason)
        if let fix = d.fix { j.add("fix", fix) } else { j.addNull("fix") }
        j.add("evidence", d.evidence.rawValue)
        return j.text
    }
}
