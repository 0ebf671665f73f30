import CHoptraceShims
import CNcursesw
import Glibc
import HoptraceTUI

/// The only place that talks to ncurses: puts a ScreenBuffer on the terminal and
/// turns key codes and mouse events into `KeyInput`s. No loop of its own: the
/// executable polls `inputFD` with its capture descriptors, then calls `readInputs()`.
///
/// Signals (see terminal.c): SIGINT/SIGTERM/SIGHUP handlers are installed before `initscr`,
/// so ncurses leaves them alone; they only set `stopRequested` (a closed terminal, SIGHUP,
/// ends the run like SIGTERM, unless it was ignored at start: nohup). Fatal signals restore
/// the terminal from bytes prepared at start and re-raise. SIGTSTP (Ctrl-Z) is left at
/// its default so `initscr` installs ncurses' own handler, which leaves curses mode,
/// stops, and on resume re-enters it; our SIGCONT flag then turns into a `.resize`
/// input and the next `draw` repaints the whole screen. `restore()` is idempotent.
public final class CursesTerminal {
    /// SIGINT, SIGTERM or SIGHUP arrived: the loop should restore and exit.
    public static var stopRequested: Bool { CHoptraceShims_stop_signal() != 0 }

    /// The descriptor to poll for keys (stdin).
    public let inputFD: Int32 = 0
    /// The locale's codeset is UTF-8: box drawing and arrows are safe to draw.
    public let unicode: Bool
    /// Colours are on: the terminal has them and neither NO_COLOR nor the caller said no.
    public let color: Bool

    /// initscr's window, kept rather than read from the global `stdscr`.
    private let window: UnsafeMutablePointer<WINDOW>
    private var active = true
    private var fullRedraw = false

    /// nil when stdin/stdout is not a terminal (initscr would exit the process).
    /// `color: false` is `--no-color`; NO_COLOR in the environment has the same effect.
    public init?(color wantColor: Bool = true) {
        guard isatty(0) == 1, isatty(1) == 1 else { return nil }
        setlocale(LC_ALL, "")
        unicode = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().replacingDash() == "UTF8"
        _ = CHoptraceShims_install_stop_handlers()
        _ = CHoptraceShims_terminal_save(0)
        guard let w = initscr() else { return nil }
        window = w
        cbreak()
        noecho()
        nonl()
        keypad(w, true)
        nodelay(w, true)
        set_escdelay(25)
        curs_set(0)
        mousemask(CNcursesw_BUTTON1_CLICKED() | CNcursesw_BUTTON1_PRESSED(), nil)
        mouseinterval(0)
        let noColorEnv = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        color = wantColor && !noColorEnv && has_colors()
        if color {
            start_color()
            use_default_colors()
            for c in Self.colors { init_pair(Int16(c.pair), c.fg, -1) }
        }
        var bytes: [CChar] = []
        for cap in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            if let s = CNcursesw_tigetstr(cap) { bytes += Array(UnsafeBufferPointer(start: s, count: strlen(s))) }
        }
        bytes += Array("\u{1b}[?1000l\u{1b}[?1002l\u{1b}[?1006l\r\n".utf8CString.dropLast())  // xterm mouse reporting off
        _ = CHoptraceShims_terminal_arm(bytes, bytes.count)
    }

    public var size: (width: Int, height: Int) { (Int(getmaxx(window)), Int(getmaxy(window))) }

    /// Everything typed since the last call (never blocks).
    public func readInputs() -> [KeyInput] {
        guard active else { return [] }
        var out: [KeyInput] = []
        if CHoptraceShims_take_continued() != 0 {
            fullRedraw = true
            out.append(.resize)
        }
        var ch: wint_t = 0
        while true {
            let rc = wget_wch(window, &ch)
            if rc == ERR { break }
            if rc == KEY_CODE_YES {
                if let k = key(Int32(ch)) { out.append(k) }
            } else if let k = character(UInt32(ch)) {
                out.append(k)
            }
        }
        return out
    }

    private func key(_ code: Int32) -> KeyInput? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_BTAB: return .tab
        case KEY_RESIZE:
            fullRedraw = true
            return .resize
        case KEY_MOUSE:
            var e = MEVENT()
            guard getmouse(&e) == OK else { return nil }
            guard e.bstate & (CNcursesw_BUTTON1_CLICKED() | CNcursesw_BUTTON1_PRESSED()) != 0 else { return nil }
            return .click(x: Int(e.x), y: Int(e.y))
        default: return nil
        }
    }

    private func character(_ c: UInt32) -> KeyInput? {
        switch c {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        default: return Unicode.Scalar(c).map { .char(Character($0)) }
        }
    }

    /// Copies the buffer out, one attribute change per run of equal style; ncurses
    /// sends only what changed since the last refresh.
    public func draw(_ screen: ScreenBuffer) {
        guard active else { return }
        if fullRedraw {
            clearok(window, true)
            fullRedraw = false
        }
        let (w, h) = size
        for y in 0..<min(h, screen.height) {
            for run in screen.runs(y) where run.x < w {
                _ = CNcursesw_wattrset(window, attributes(run.style))
                var wide = run.text.unicodeScalars.prefix(w - run.x).map { wchar_t(bitPattern: $0.value) }
                let n = Int32(wide.count)
                wide.append(0)
                _ = mvwaddnwstr(window, Int32(y), Int32(run.x), wide, n)  // the last cell may report ERR: harmless
            }
        }
        _ = CNcursesw_wattrset(window, 0)
        wrefresh(window)
    }

    /// Leaves curses mode (endwin). Idempotent; call on q, on errors, after stopRequested.
    public func restore() {
        guard active else { return }
        active = false
        CHoptraceShims_terminal_disarm()
        endwin()
    }

    deinit { restore() }

    // One pair per ScreenBuffer colour; `.normal` keeps the terminal's default.
    private static let colors: [(color: ScreenBuffer.Style.Color, pair: Int32, fg: Int16)] = [
        (.green, 1, Int16(COLOR_GREEN)), (.red, 2, Int16(COLOR_RED)), (.yellow, 3, Int16(COLOR_YELLOW)),
        (.cyan, 4, Int16(COLOR_CYAN)), (.blue, 5, Int16(COLOR_BLUE)), (.magenta, 6, Int16(COLOR_MAGENTA)),
    ]

    private func attributes(_ s: ScreenBuffer.Style) -> Int32 {
        var a: Int32 = 0
        if s.bold { a |= CNcursesw_A_BOLD() }
        if s.reverse { a |= CNcursesw_A_REVERSE() }
        if s.color == .dim { a |= CNcursesw_A_DIM() }
        if color, let c = Self.colors.first(where: { $0.color == s.color }) { a |= CNcursesw_COLOR_PAIR(c.pair) }
        return a
    }
}

extension String {
    func replacingDash() -> String { filter { $0 != "-" } }
}
