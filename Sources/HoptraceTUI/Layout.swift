/// Where each pane goes for a terminal size: shared by `render` and by `handle`
/// (paging and mouse clicks need the same rows).
///
/// Rows: header (2), then four panes each with a title row — flows, journey,
/// conntrack, packets — and the status line at the bottom. At 80×24: 4 flow rows,
/// 7 ladder rows, 3 conntrack and 3 packet lines; extra height is shared 4:6:3:3.
struct Layout: Equatable {
    struct Pane: Equatable {
        /// The title row.
        var title: Int
        /// First content row and how many.
        var top: Int
        var rows: Int
        func contains(y: Int) -> Bool { y >= title && y < top + rows }
    }

    static let headerRows = 2
    var width: Int
    var flows: Pane
    var journey: Pane
    var conntrack: Pane
    var packets: Pane
    /// The status line (filter prompt, key hints).
    var status: Int
    /// Everything between header and status line (detail view, help overlay).
    var bodyTop: Int
    var bodyRows: Int

    init(_ context: RenderContext) {
        width = context.width
        let h = max(context.height, RenderContext.minimumHeight)
        let middle = h - Self.headerRows - 1
        let extra = middle - 21
        let f = 4 + extra * 4 / 16, j = 7 + extra * 6 / 16, c = 3 + extra * 3 / 16
        let p = middle - 4 - f - j - c
        var y = Self.headerRows
        func pane(_ rows: Int) -> Pane {
            defer { y += rows + 1 }
            return Pane(title: y, top: y + 1, rows: rows)
        }
        flows = pane(f)
        journey = pane(j)
        conntrack = pane(c)
        packets = pane(p)
        status = h - 1
        bodyTop = Self.headerRows
        bodyRows = middle
    }

    func pane(_ p: UIState.Pane) -> Pane {
        switch p {
        case .flows: flows
        case .journey: journey
        case .conntrack: conntrack
        case .packets: packets
        }
    }
}

extension ScreenBuffer {
    /// A pane's title row: `─ Title ─── right ─`, the title reversed when the pane has focus.
    mutating func titleBar(_ title: String, right: String = "", y: Int, focused: Bool, _ g: Glyphs) {
        let rule = ScreenBuffer.Style(color: focused ? .cyan : .dim, bold: focused)
        for x in 0..<width { put(g.hline, x: x, y: y, style: rule) }
        let t = " \(title) "
        put(t, x: 2, y: y, style: ScreenBuffer.Style(color: focused ? .cyan : .normal, bold: true, reverse: focused))
        if !right.isEmpty {
            let r = " \(right) "
            let x = max(2 + t.count + 1, width - 2 - r.count)
            put(Format.fit(r, width - x - 1, g), x: x, y: y, style: ScreenBuffer.Style(color: .normal))
        }
    }

    /// A row of `text` spans: returns the column after the last.
    @discardableResult
    mutating func spans(_ parts: [(String, ScreenBuffer.Style)], x: Int, y: Int, maxX: Int) -> Int {
        var col = x
        for (text, style) in parts where col < maxX {
            col += put(text, x: col, y: y, style: style, maxWidth: maxX - col)
        }
        return col
    }

    /// Fills a row segment with a style (selection bars).
    mutating func fill(y: Int, from x0: Int, to x1: Int, style: ScreenBuffer.Style) {
        for x in max(0, x0)..<min(width, x1) { put(" ", x: x, y: y, style: style) }
    }
}
