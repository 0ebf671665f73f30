import HoptraceCore

/// The bottom row: the filter prompt while typing, else the active filter/follow and key hints.
enum StatusLine {
    static func draw(into s: inout ScreenBuffer, state: UIState, layout: Layout, context: RenderContext, _ g: Glyphs) {
        let y = layout.status
        if let text = state.prompt {
            let end = s.spans([("filter flows: /", ScreenBuffer.Style(color: .yellow, bold: true)), (text, ScreenBuffer.Style(bold: true))],
                              x: 0, y: y, maxX: s.width - 1)
            s.put(" ", x: end, y: y, style: ScreenBuffer.Style(reverse: true))
            let hint = "  Enter apply  Esc cancel  (address port proto verdict; !word excludes)"
            s.put(hint, x: end + 1, y: y, style: ScreenBuffer.Style(color: .dim), maxWidth: s.width - end - 1)
            return
        }
        var parts: [(String, ScreenBuffer.Style)] = []
        if let m = state.message { parts += [(m, ScreenBuffer.Style(color: .magenta, bold: true)), ("  ", .plain)] }
        if !state.filter.isEmpty { parts += [("filter: \(state.filter)", ScreenBuffer.Style(color: .yellow, bold: true)), ("  ", .plain)] }
        if let id = state.followFlowID { parts += [("follow: flow \(id)", ScreenBuffer.Style(color: .cyan, bold: true)), ("  ", .plain)] }
        if state.paused { parts += [("paused (p resumes)", ScreenBuffer.Style(color: .yellow, bold: true)), ("  ", .plain)] }
        let hints: String
        if state.helpOpen {
            hints = "Esc or ? closes help  q quit"
        } else if state.detailOpen {
            hints = "Esc/Enter close  \(g.vline) \(context.unicode ? "↑↓" : "j/k") PgUp PgDn scroll  q quit"
        } else {
            let base = "q quit  ? help  / filter  s sort  f follow  p pause  c clear  Tab  Enter detail"
            let lab = "  n/d/r lab"
            let used = parts.reduce(0) { $0 + $1.0.count }
            hints = context.labKeys && used + base.count + lab.count <= s.width ? base + lab : base
        }
        parts.append((hints, ScreenBuffer.Style(color: .dim)))
        s.spans(parts, x: 0, y: y, maxX: s.width)
    }
}

/// `?`: every key, the lab keys too (live only when the lab is attached).
enum HelpOverlay {
    static func lines(_ context: RenderContext, _ g: Glyphs) -> [(String, ScreenBuffer.Style)] {
        let key = ScreenBuffer.Style(bold: true)
        let head = ScreenBuffer.Style(color: .cyan, bold: true)
        let arrows = context.unicode ? "↑/↓ j/k" : "Up/Dn j/k"
        var out: [(String, ScreenBuffer.Style)] = [
            ("Keys", head),
            ("\(Format.padRight(arrows, 12))select a flow, or scroll the focused pane", key),
            ("PgUp/PgDn   page      Home/End  first / last", key),
            ("Tab         next pane: flows, journey, conntrack, packets", key),
            ("Enter       flow detail: conntrack attributes, every journey", key),
            ("/           filter flows by address, port, protocol, verdict", key),
            ("            (Enter applies, Esc cancels, !word excludes)", .plain),
            ("f           packets pane follows the selected flow (f again: all)", key),
            ("p           pause the panes (capture and counters go on)", key),
            ("c           clear the packet and conntrack logs", key),
            ("s           sort: newest, oldest, problems first, protocol, packets", key),
            ("a           list / fold link-local control (ND, MLD, IGMP, DHCP)", key),
            ("click       select the flow under the mouse", key),
            ("x           explain (nft rule path)   w  watch where its route leads", key),
            ("?           this help        q  quit", key),
            ("Lab keys" + (context.labKeys ? " (lab attached)" : " (inactive: no lab attached)"), head),
        ]
        let lab = context.labKeys ? key : ScreenBuffer.Style(color: .dim)
        out += [
            ("n           NAT: the MASQUERADE rule on/off (S1 / S2)", lab),
            ("d           FORWARD policy drop/accept (S3)", lab),
            ("r           return rule RELATED,ESTABLISHED on/off (S4)", lab),
        ]
        return out
    }

    static func draw(into s: inout ScreenBuffer, layout: Layout, context: RenderContext, _ g: Glyphs) {
        let content = lines(context, g)
        let w = min(s.width - 2, (content.map { $0.0.count }.max() ?? 0) + 4)
        let h = min(layout.bodyRows, content.count + 2)
        let x0 = (s.width - w) / 2, y0 = layout.bodyTop + (layout.bodyRows - h) / 2
        Box.draw(into: &s, x: x0, y: y0, width: w, height: h, title: "Help", g)
        for (i, (text, style)) in content.prefix(h - 2).enumerated() {
            s.put(text, x: x0 + 2, y: y0 + 1 + i, style: style, maxWidth: w - 4)
        }
    }
}

enum Box {
    /// A cleared, framed rectangle.
    static func draw(into s: inout ScreenBuffer, x: Int, y: Int, width: Int, height: Int, title: String, _ g: Glyphs) {
        guard width >= 2, height >= 2 else { return }
        let frame = ScreenBuffer.Style(color: .cyan, bold: true)
        for row in y..<(y + height) { s.fill(y: row, from: x, to: x + width, style: .plain) }
        for col in (x + 1)..<(x + width - 1) {
            s.put(g.hline, x: col, y: y, style: frame)
            s.put(g.hline, x: col, y: y + height - 1, style: frame)
        }
        for row in (y + 1)..<(y + height - 1) {
            s.put(g.vline, x: x, y: row, style: frame)
            s.put(g.vline, x: x + width - 1, y: row, style: frame)
        }
        s.put(g.topLeft, x: x, y: y, style: frame)
        s.put(g.topRight, x: x + width - 1, y: y, style: frame)
        s.put(g.bottomLeft, x: x, y: y + height - 1, style: frame)
        s.put(g.bottomRight, x: x + width - 1, y: y + height - 1, style: frame)
        s.put(" \(title) ", x: x + 2, y: y, style: frame)
    }
}

/// Shown instead of the panes when the terminal is smaller than RenderContext's minimum.
enum TooSmall {
    static func draw(into s: inout ScreenBuffer, context: RenderContext, _ g: Glyphs) {
        let lines = [
            "Terminal too small: \(context.width)\(g.times)\(context.height)",
            "hoptrace needs at least \(RenderContext.minimumWidth)\(g.times)\(RenderContext.minimumHeight)",
            "enlarge the window, or press q to quit",
        ]
        let y0 = max(0, (s.height - lines.count) / 2)
        for (i, l) in lines.enumerated() {
            let text = Format.fit(l, s.width, g)
            s.put(text, x: max(0, (s.width - text.count) / 2), y: y0 + i,
                  style: i == 0 ? ScreenBuffer.Style(color: .yellow, bold: true) : .plain)
        }
    }
}
