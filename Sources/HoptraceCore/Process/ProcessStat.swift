/// What `/proc/PID/stat` (proc(5)) says of a process, as far as hoptrace needs it to tell that
/// process from a later one with the same pid. A pid names a process only while it lives: once
/// it has exited the kernel hands the number to any new process. The pair (pid, start time)
/// names one process for as long as the machine is up, so whatever hoptrace writes down to find
/// a process again (a trace table's comment, the lab server's pid file) records both, and
/// nothing is signalled or declared alive on the pid alone.
///
/// The line is `pid (comm) state ppid … starttime …`. comm is the executable's name cut to 15
/// bytes and may hold any bytes, spaces and parentheses included, so the fields after it are
/// counted from the *last* `)`. Parsing is total: a line that does not have that shape is nil.
public struct ProcessStat: Sendable, Equatable {
    public var pid: Int32
    /// Field 2, comm: the executable's name, at most 15 bytes (not necessarily UTF-8).
    public var name: String
    /// Field 3: R, S, D, T, … ; Z is a zombie (exited, not yet reaped), X dead.
    public var state: Character
    /// Field 22, starttime: when the process started, in clock ticks after boot.
    public var startTime: UInt64

    public init(pid: Int32, name: String, state: Character, startTime: UInt64) {
        self.pid = pid
        self.name = name
        self.state = state
        self.startTime = startTime
    }

    /// Parses the contents of `/proc/PID/stat`; nil unless it has the documented shape.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close
        else { return nil }
        let pidText = String(decoding: bytes[..<open], as: UTF8.self).trimmingWhitespace()
        guard !pidText.isEmpty, pidText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let pid = Int32(pidText), pid > 0
        else { return nil }
        // Fields 3… after the name; field 3 (state) is rest[0], so field 22 is rest[19].
        let rest = bytes[(close + 1)...].split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
        guard rest.count >= 20, rest[0].count == 1,
              rest[19].allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let start = UInt64(String(decoding: rest[19], as: UTF8.self))
        else { return nil }
        self.init(pid: pid, name: String(decoding: bytes[(open + 1)..<close], as: UTF8.self),
                  state: Character(Unicode.Scalar(rest[0][rest[0].startIndex])), startTime: start)
    }

    /// Still running: not a zombie, not dead. A zombie has exited; only its entry is left.
    public var isRunning: Bool { state != "Z" && state != "X" && state != "x" }

    /// Whether this is the process that was recorded as (`pid`, `startTime`): the same pid, the
    /// same start, and still running. Anything else is another process that got the pid later.
    public func isSameProcess(pid: Int32, startTime: UInt64) -> Bool {
        self.pid == pid && self.startTime == startTime && isRunning
    }
}
