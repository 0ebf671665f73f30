import HoptraceCore

/// A verdict's near miss (issue 18) as the journey pane and the detail view show it: the rule
/// where it is, its text, and the differing field on a line of its own in red, so the one
/// thing to change stands out.
enum NearMissLines {
    static func lines(_ f: Flow, label: String) -> [(String, ScreenBuffer.Style)] {
        guard let m = f.diagnosis?.nearMiss else { return [] }
        var out: [(String, ScreenBuffer.Style)] = []
        out.append(("\(label)\(m.chain) (\(m.table), handle \(m.handle))" + (m.rule.map { ": \($0)" } ?? ""), ScreenBuffer.Style(color: .magenta)))
        let pad = String(repeating: " ", count: label.count)
        out.append(("\(pad)\(m.field): the rule has \(m.ruleValue), the packet \(m.packetValue)", ScreenBuffer.Style(color: .red, bold: true)))
        return out
    }
}
