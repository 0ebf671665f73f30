/// A terminal screen as a value: panes draw into it, the ncurses backend copies
/// it out, and snapshot tests compare it as text.
public struct ScreenBuffer: Sendable, Equatable {
    public struct Style: Sendable, Equatable, Hashable {
        public enum Color: UInt8, Sendable { case normal, green, red, yellow, cyan, blue, magenta, dim }
        public var color: Color
        public var bold: Bool
        public var reverse: Bool

        public init(color: Color = .normal, bold: Bool = false, reverse: Bool = false) {
            self.color = color
            self.bold = bold
            self.reverse = reverse
        }

        public static let plain = Style()
    }

    public struct Cell: Sendable, Equatable {
        public var character: Character
        public var style: Style
    }

    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(character: " ", style: .plain), count: self.width * self.height)
    }

    /// Writes `text` at (x, y), clipped to the screen and to `maxWidth`. Control
    /// characters are shown escaped, never sent to the terminal.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, maxWidth.map { x + $0 } ?? width)
        var col = x
        for ch in TerminalSafe.escape(text) {
            guard col < limit else { break }
            if col >= 0 { cells[y * width + col] = Cell(character: ch, style: style) }
            col += 1
        }
        return col - x
    }

    public func row(_ y: Int) -> String {
        String(cells[(y * width)..<((y + 1) * width)].map(\.character))
    }

    /// The same screen without colours (NO_COLOR, --no-color): bold and reverse stay.
    public func monochrome() -> ScreenBuffer {
        var s = self
        for i in s.cells.indices { s.cells[i].style.color = .normal }
        return s
    }

    /// A row as runs of equally styled text, for a backend that sets attributes once per run.
    public func runs(_ y: Int) -> [(x: Int, text: String, style: Style)] {
        guard y >= 0, y < height else { return [] }
        var out: [(x: Int, text: String, style: Style)] = []
        for x in 0..<width {
            let c = cells[y * width + x]
            if let last = out.last, last.style == c.style {
                out[out.count - 1].text.append(c.character)
            } else {
                out.append((x, String(c.character), c.style))
            }
        }
        return out
    }

    /// The screen as lines of text with trailing blanks trimmed, for snapshots.
    public var text: String {
        (0..<height).map { row($0).replacingTrailingSpaces() }.joined(separator: "\n")
    }
}

/// Text from packets may hold anything: keep only printable, single-width characters.
public enum TerminalSafe {
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x20..<0x7F: out.unicodeScalars.append(scalar)
            case 0x2500..<0x2600, 0x2190..<0x2200: out.unicodeScalars.append(scalar)  // box drawing, arrows
            case 0xB7, 0xD7, 0x2026, 0x2713, 0x2717: out.unicodeScalars.append(scalar)  // · × … ✓ ✗ (single width)
            case 0x00..<0x20, 0x7F..<0xA0: out += "\\x" + hex2(scalar.value)
            default: out += "?"
            }
        }
        return out
    }

    static func hex2(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(v >> 4) & 0xF], digits[Int(v) & 0xF]])
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
