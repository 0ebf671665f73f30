import HoptraceCore

/// Two rows: what is captured and how it goes (filter, flows shown/total, conntrack
/// losses, PAUSED, lab keys), then every namespace with its capture points and their
/// live counters. Always from the live session, also while the panes are paused.
enum HeaderPane {
    static func draw(into s: inout ScreenBuffer, session: Session, state: UIState, data: PaneData, shown: Int,
                     context: RenderContext, _ g: Glyphs) {
        let bold = ScreenBuffer.Style(bold: true)
        var line1: [(String, ScreenBuffer.Style)] = [("hoptrace", ScreenBuffer.Style(color: .cyan, bold: true))]
        if state.paused { line1 += [(" ", .plain), (" PAUSED ", ScreenBuffer.Style(color: .yellow, bold: true, reverse: true))] }
        let filter = context.filterExpression.isEmpty ? "(all)" : context.filterExpression
        line1 += [("  filter: ", .plain), (filter, bold)]
        line1 += [("  flows ", .plain), ("\(shown)/\(session.correlator.stats.live)", bold)]
        line1 += [("  ct ", .plain), ("\(session.conntrackEvents)", bold)]
        line1 += [(" lost ", .plain), ("\(session.conntrackLost)",
                   session.conntrackLost > 0 ? ScreenBuffer.Style(color: .red, bold: true) : bold)]
        let end = s.spans(line1, x: 0, y: 0, maxX: s.width)
        let long = context.labKeys ? "lab keys: n NAT  d drop  r return  ? help" : "? help"
        let right = end + 2 + long.count <= s.width ? long : context.labKeys ? "lab: n d r  ? help" : "? help"
        if end + 2 + right.count <= s.width {
            s.put(right, x: s.width - right.count, y: 0, style: ScreenBuffer.Style(color: context.labKeys ? .magenta : .dim))
        }

        // htns1 eth0 10 │ hthost veth1 10 docker1 10 enX0 10 drop 3 │ htremote enX0 LOST
        var groups: [(netns: String, points: [Session.PointState])] = []
        for p in session.points {
            let ns = p.point.netns ?? "-"
            if let i = groups.firstIndex(where: { $0.netns == ns }) { groups[i].points.append(p) } else { groups.append((ns, [p])) }
        }
        var line2: [(String, ScreenBuffer.Style)] = []
        for (i, group) in groups.enumerated() {
            if i > 0 { line2.append((" \(g.vline) ", ScreenBuffer.Style(color: .dim))) }
            line2.append((group.netns, ScreenBuffer.Style(color: .cyan, bold: true)))
            for p in group.points {
                line2.append((" \(p.point.iface) ", .plain))
                if p.lost != nil {
                    line2.append(("LOST", ScreenBuffer.Style(color: .red, bold: true, reverse: true)))
                } else {
                    line2.append(("\(p.packets)", bold))
                }
                if p.kernelDropped > 0 {
                    line2.append((" drop \(p.kernelDropped)", ScreenBuffer.Style(color: .red, bold: true)))
                }
            }
        }
        if groups.isEmpty { line2.append(("no capture points", ScreenBuffer.Style(color: .dim))) }
        let total = line2.reduce(0) { $0 + TerminalSafe.escape($1.0).count }
        s.spans(line2, x: 0, y: 1, maxX: s.width)
        if total > s.width { s.put(g.ellipsis, x: s.width - 1, y: 1, style: ScreenBuffer.Style(color: .dim)) }
    }
}
