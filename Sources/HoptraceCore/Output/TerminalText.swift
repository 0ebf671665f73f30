/// Text on its way to a terminal. hoptrace prints names it did not choose: interfaces and
/// namespaces named inside a container, every string of a recording someone handed over,
/// nft rule comments. Any of them can hold characters a terminal obeys rather than shows —
/// ESC and CSI start escape sequences (clear the screen, retitle the window, redraw a fake
/// prompt), the bidi overrides reorder what the eye reads (CVE-2021-42574, "Trojan
/// Source"). Every line hoptrace writes to stdout or stderr passes `safe` (HoptracePipeline's `LineWriter`
/// and `Console`); the live view has its own cell-by-cell filter
/// (`TerminalSafe` in HoptraceTUI).
///
/// Such a character is shown, not sent, in Python's `repr` notation, so the reader sees
/// what was there: `\x1b` for a C0 control or DEL, `\x9b` for a C1 control, `\u202e` for a
/// bidi control. Escaped, and nothing else:
/// - C0 controls U+0000–U+001F, newline and tab included: one line stays one line;
/// - DEL U+007F and the C1 controls U+0080–U+009F (U+009B is a one-character CSI);
/// - bidi embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069.
///
/// A backslash is left as it is: the text is for reading, not for parsing back (NDJSON is
/// the format for that, and `JSONLine` escapes the same characters). So `safe` is
/// idempotent: its output holds none of these characters, and a second pass changes nothing.
public enum TerminalText {
    /// `s` with every unsafe character escaped; `s` itself (no copy) when there is none,
    /// which is every line of a normal run: one scan of the UTF-8 bytes.
    public static func safe(_ s: String) -> String {
        let clean = s.utf8.withContiguousStorageIfAvailable { !containsUnsafe($0) }
            ?? !s.unicodeScalars.contains(where: isUnsafe)
        if clean { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isUnsafe(u) { out.append(contentsOf: escaped(u).unicodeScalars) } else { out.append(u) }
        }
        return String(out)
    }

    /// Several lines (another program's output, a message that spans lines): each line is
    /// made `safe`, the line breaks ("\n") between them are kept. A CR is escaped: it would
    /// let a line overwrite itself.
    public static func safeLines(_ s: String) -> String {
        s.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { safe(String(decoding: $0, as: UTF8.self)) }
            .joined(separator: "\n")
    }

    /// The characters `safe` escapes (and `JSONLine` writes as `\uXXXX`).
    public static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `\x1b`, `\x7f`, `\x9b`, `\u202e`.
    static func escaped(_ u: Unicode.Scalar) -> String {
        let hex = String(u.value, radix: 16)
        return u.value <= 0xFF
            ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// The same test on UTF-8 bytes, exact (no false alarms on other characters, such as
    /// the `✓` or `→` hoptrace prints itself): C0 and DEL are single bytes; U+0080–U+009F
    /// are C2 80–C2 9F; U+202A–U+202E are E2 80 AA–AE; U+2066–U+2069 are E2 81 A6–A9.
    static func containsUnsafe(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = b.count
        var i = 0
        while i < n {
            let c = b[i]
            if c < 0x20 || c == 0x7F { return true }
            if c == 0xC2, i + 1 < n, (0x80...0x9F).contains(b[i + 1]) { return true }
            if c == 0xE2, i + 2 < n {
                let c1 = b[i + 1], c2 = b[i + 2]
                if c1 == 0x80 && (0xAA...0xAE).contains(c2) || c1 == 0x81 && (0xA6...0xA9).contains(c2) { return true }
            }
            i += 1
        }
        return false
    }
}
