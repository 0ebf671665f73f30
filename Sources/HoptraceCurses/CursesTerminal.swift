import CNcursesw
import HoptraceTUI

/// The only place that talks to ncurses: puts a ScreenBuffer on the terminal.
/// `restore()` is idempotent and safe to call from every exit path.
public final class CursesTerminal {
    /// initscr's window, kept rather than read from the global `stdscr`.
    private let window: UnsafeMutablePointer<WINDOW>
    private var active = true

    public init?() {
        setlocale(LC_ALL, "")
        guard let w = initscr() else { return nil }
        window = w
        cbreak()
        noecho()
        keypad(w, true)
        curs_set(0)
    }

    public var size: (width: Int, height: Int) { (Int(getmaxx(window)), Int(getmaxy(window))) }

    public func draw(_ screen: ScreenBuffer) {
        for y in 0..<screen.height {
            mvwaddstr(window, Int32(y), 0, screen.row(y))
        }
        wrefresh(window)
    }

    public func restore() {
        guard active else { return }
        active = false
        endwin()
    }

    deinit { restore() }
}
