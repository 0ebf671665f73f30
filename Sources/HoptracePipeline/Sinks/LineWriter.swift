import Glibc
import HoptraceCore

/// Where `watch`'s lines go (stdout, or memory in the tests). Lines collect in a buffer
/// written once per loop turn (or every 64 KiB): one write per packet would cost more than
/// decoding it, and a turn lasts at most the poll timeout, so a reader still sees lines at once.
/// Every line passes `TerminalText.safe` (names print escaped, a line stays one line);
/// NDJSON lines come out unchanged, since `JSONLine` already escapes the same characters.
public final class LineWriter {
    /// Takes a batch of bytes (valid during the call only); returns false once nobody reads them any more.
    public typealias Target = (UnsafeRawBufferPointer) -> Bool

    private let target: Target
    private let buffer = ByteBuffer(capacity: 2 * (1 << 16))
    /// The size at which `line` writes the buffer out without waiting for `flush`.
    private static let flushSize = 1 << 16

    /// The reader went away (EPIPE: `| head -1` has what it wanted; SIGPIPE is ignored, see
    /// `Hoptrace.main`). The run's loop stops on it and ends normally, cleanup included;
    /// nothing more is written.
    public private(set) var readerGone = false

    public init(_ target: @escaping Target) {
        self.target = target
    }

    /// Writes to a descriptor (stdout for `watch`) with write(2), all of it: a short write is
    /// continued, EINTR retried; EPIPE means the reader is gone.
    public convenience init(fd: Int32) {
        self.init { bytes in LineWriter.writeAll(fd, bytes) }
    }

    /// One line, with the newline added.
    public func line(_ text: String) {
        buffer.append(contentsOf: TerminalText.safe(text).utf8)
        buffer.append(0x0A)
        if buffer.count >= Self.flushSize { flush() }
    }

    /// One NDJSON line, its bytes copied straight in: `JSONLine` already escapes every
    /// character `TerminalText.safe` would (the `--json` hot path: no String, no second scan).
    public func json(_ line: JSONLine) {
        line.appendLine(to: buffer)
        if buffer.count >= Self.flushSize { flush() }
    }

    /// A line `write` appends to the buffer itself (a packet line: built in place, never copied).
    public func json(appending write: (ByteBuffer) -> Void) {
        write(buffer)
        if buffer.count >= Self.flushSize { flush() }
    }

    /// Hands the buffered lines to the target (once the reader is gone they are dropped).
    public func flush() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll() }
        guard !readerGone else { return }
        if !target(UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)) { readerGone = true }
    }

    /// False on EPIPE; on any other failure the rest of the batch is dropped and writing goes on.
    private static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard let base = raw.baseAddress else { return true }
        var at = 0
        while at < raw.count {
            let n = Glibc.write(fd, base + at, raw.count - at)
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EPIPE { return false }
            if n <= 0 { break }
            at += n
        }
        return true
    }
}
