/// What a frame depends on besides the model and the UI state: the terminal's size
/// and abilities, and facts the executable knows.
public struct RenderContext: Sendable, Equatable {
    /// Below this the panes cannot show a flow row and a ladder: a centered message is drawn instead.
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var width: Int
    public var height: Int
    /// UTF-8 box drawing and arrows; false: ASCII only (the backend asks the locale).
    public var unicode: Bool
    /// The lab is attached: n/d/r are live and advertised.
    public var labKeys: Bool
    /// The capture filter (tcpdump expression) shown in the header; empty: none.
    public var filterExpression: String
    /// false (NO_COLOR, --no-color): no colours, bold and reverse remain.
    public var color: Bool

    public init(width: Int, height: Int, unicode: Bool = true, labKeys: Bool = false,
                filterExpression: String = "", color: Bool = true) {
        self.width = width
        self.height = height
        self.unicode = unicode
        self.labKeys = labKeys
        self.filterExpression = filterExpression
        self.color = color
    }

    public var isTooSmall: Bool { width < Self.minimumWidth || height < Self.minimumHeight }
}

/// The few non-ASCII characters the panes draw, with their ASCII fallbacks.
struct Glyphs {
    var hline, vline, natBar, right, left, cross, check, ellipsis, dot, times: String
    var topLeft, topRight, bottomLeft, bottomRight: String

    static let unicode = Glyphs(hline: "─", vline: "│", natBar: "┊", right: "→", left: "←", cross: "✗", check: "✓",
                                ellipsis: "…", dot: "·", times: "×",
                                topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘")
    static let ascii = Glyphs(hline: "-", vline: "|", natBar: ":", right: "->", left: "<-", cross: "x", check: "+",
                              ellipsis: "~", dot: ".", times: "x",
                              topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+")

    init(hline: String, vline: String, natBar: String, right: String, left: String, cross: String, check: String,
         ellipsis: String, dot: String, times: String, topLeft: String, topRight: String, bottomLeft: String,
         bottomRight: String) {
        self.hline = hline; self.vline = vline; self.natBar = natBar; self.right = right; self.left = left
        self.cross = cross; self.check = check; self.ellipsis = ellipsis; self.dot = dot; self.times = times
        self.topLeft = topLeft; self.topRight = topRight; self.bottomLeft = bottomLeft; self.bottomRight = bottomRight
    }

    init(_ context: RenderContext) { self = context.unicode ? .unicode : .ascii }
}
