import HoptraceCore

/// The newest `rows` lines of a log, `back` lines up from its end: only those get formatted.
struct LogWindow {
    var start: Int
    var end: Int

    init(count: Int, rows: Int, back: Int) {
        let back = max(0, min(back, count - rows))
        end = max(0, count - back)
        start = max(0, end - rows)
    }

    var range: Range<Int> { start..<end }
}

/// conntrack -E lines (ConntrackText), coloured by event type; the selected flow's
/// events are marked and bold.
enum ConntrackPane {
    static func draw(into s: inout ScreenBuffer, data: PaneData, selected: Int?, state: UIState, layout: Layout, _ g: Glyphs) {
        let pane = layout.conntrack
        let entries = data.conntrack
        let w = LogWindow(count: entries.count, rows: pane.rows, back: state.conntrackBack)
        let mine = selected.map { id in entries.filter { $0.flowID == id }.count } ?? 0
        s.titleBar("Conntrack \(entries.count)", right: selected.map { "\(g.vline) flow \($0): \(mine)" } ?? "",
                   y: pane.title, focused: state.focus == .conntrack && !state.detailOpen, g)
        if entries.isEmpty {
            s.put("no conntrack events", x: 2, y: pane.top, style: ScreenBuffer.Style(color: .dim))
            return
        }
        for (row, i) in w.range.enumerated() {
            let e = entries[i]
            let isMine = selected != nil && e.flowID == selected
            var style = color(e.event.kind)
            style.bold = isMine
            s.put(isMine ? g.vline : " ", x: 0, y: pane.top + row, style: ScreenBuffer.Style(color: .cyan, bold: true))
            s.put(line(e), x: 1, y: pane.top + row, style: style, maxWidth: s.width - 1)
        }
    }

    static func line(_ e: Session.ConntrackEntry) -> String { line(e.event, netns: e.netns, time: e.time) }

    static func line(_ event: ConntrackEvent, netns: String?, time: EventTime) -> String {
        // ConntrackText's line without its " conntrack" word: the pane's title says it.
        var text = ConntrackText.line(event, netns: netns, time: Format.clock(time))
        if let r = text.range(of: " conntrack [") { text.replaceSubrange(r, with: " [") }
        return text
    }

    static func color(_ k: ConntrackEvent.Kind) -> ScreenBuffer.Style {
        switch k {
        case .new: ScreenBuffer.Style(color: .green)
        case .update: ScreenBuffer.Style(color: .yellow)
        case .destroy: ScreenBuffer.Style(color: .red)
        case .existing: ScreenBuffer.Style(color: .dim)
        }
    }
}

/// tcpdump-like lines (PacketText) with `netns:iface` and direction; `f` narrows it to one flow.
enum PacketsPane {
    static func draw(into s: inout ScreenBuffer, data: PaneData, selected: Int?, state: UIState, layout: Layout, _ g: Glyphs) {
        let pane = layout.packets
        let entries = state.followFlowID.map { id in data.packets.filter { $0.flowID == id } } ?? data.packets
        let w = LogWindow(count: entries.count, rows: pane.rows, back: state.packetsBack)
        let title = state.followFlowID.map { "Packets of flow \($0) \(entries.count)" } ?? "Packets \(entries.count)"
        s.titleBar(title, right: state.followFlowID != nil ? "following (f: all)" : "",
                   y: pane.title, focused: state.focus == .packets && !state.detailOpen, g)
        if entries.isEmpty {
            s.put(state.followFlowID != nil ? "no packets of this flow in the log" : "no packets yet",
                  x: 2, y: pane.top, style: ScreenBuffer.Style(color: .dim))
            return
        }
        for (row, i) in w.range.enumerated() {
            let e = entries[i]
            let isMine = selected != nil && e.flowID == selected && state.followFlowID == nil
            s.put(isMine ? g.vline : " ", x: 0, y: pane.top + row, style: ScreenBuffer.Style(color: .cyan, bold: true))
            let style: ScreenBuffer.Style = e.packet == nil ? ScreenBuffer.Style(color: .red) : ScreenBuffer.Style(bold: isMine)
            s.put(line(e), x: 1, y: pane.top + row, style: style, maxWidth: s.width - 1)
        }
    }

    static func line(_ e: Session.PacketEntry) -> String {
        let time = Format.clock(e.time)
        guard let p = e.packet else {
            return "\(time) \(e.point) malformed: \(e.error.map { "\($0)" } ?? "undecodable")"
        }
        return PacketText.line(p, at: e.point, time: time)
    }
}
