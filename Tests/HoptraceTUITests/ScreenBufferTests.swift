import Testing
import HoptraceTUI

@Suite struct ScreenBufferTests {
    @Test func clipsToTheScreen() {
        var s = ScreenBuffer(width: 8, height: 2)
        #expect(s.put("hello world", x: 3, y: 0) == 5)
        s.put("off", x: 0, y: 5)
        #expect(s.text == "   hello\n")
    }

    @Test func neverWritesControlCharacters() {
        var s = ScreenBuffer(width: 20, height: 1)
        s.put("a\u{1b}[2Jb\n", x: 0, y: 0)
        #expect(s.row(0).hasPrefix("a\\x1b[2Jb\\x0a"))
        #expect(TerminalSafe.escape("é→") == "?→")
    }
}
