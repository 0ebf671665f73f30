import Glibc
import HoptraceCore

/// hoptrace's one way to the user's terminal outside the event stream: warnings,
/// errors (ArgumentParser's too, see `Hoptrace.main`), the "watching" line and `--summary`
/// on stderr; lab and doctor reports, help and version on stdout.
/// (`watch`'s lines go through a `LineWriter`.) Everything passes `TerminalText.safeLines`: a name
/// in a message (an interface chosen in a container, a namespace from a recording, nft's
/// words about a rule) is shown escaped, never obeyed; a message's own line breaks stay.
public enum Console {
    /// A message on stderr, with `terminator` after it.
    public static func err(_ text: String, terminator: String = "\n") {
        writeAll(2, TerminalText.safeLines(text) + terminator)
    }

    /// A report on stdout (lab, doctor, help, version), with `terminator` after it. Through
    /// `print`, so it keeps its order with everything else those commands print.
    public static func out(_ text: String, terminator: String = "\n") {
        print(TerminalText.safeLines(text), terminator: terminator)
    }

    /// write(2) until done. Not `FileHandle.write(_:)`, which traps on an error: with SIGPIPE
    /// ignored, a closed stderr gives EPIPE, and a lost warning must not end a run.
    private static func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = write(fd, raw.baseAddress! + at, raw.count - at)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                at += n
            }
        }
    }
}
