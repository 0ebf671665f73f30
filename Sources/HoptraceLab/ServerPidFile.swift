import Foundation
import HoptraceCore

/// The pid file of the published port's server (`lab serve`), "PID STARTTIME\n": its pid and
/// its start time (`/proc/PID/stat` field 22, `ProcessStat`).
///
/// Why both: the file outlives the server whenever the server dies without `lab publish --off`
/// (killed, the machine's OOM killer), and its pid then goes to any new process. With the pid
/// alone, `lab publish --off` would SIGTERM that process, and `lab publish` would take it for
/// the server and start none. So before any signal, and before trusting that a server runs,
/// the process with that pid must have that start time; otherwise the server is gone and the
/// file is removed. A file without a start time (an older hoptrace's) cannot be checked and is
/// treated as gone: never signal on a pid alone (`lab down` still stops every process in the
/// lab's namespaces).
struct ServerPidFile: Equatable {
    let pid: pid_t
    let startTime: UInt64

    var text: String { "\(pid) \(startTime)\n" }

    /// Parses "PID STARTTIME\n"; nil for anything else (a pid alone included).
    init?(parsing text: String) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard fields.count == 2, fields.allSatisfy({ field in field.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              let pid = pid_t(fields[0]), pid > 0, let start = UInt64(fields[1])
        else { return nil }
        self.init(pid: pid, startTime: start)
    }

    init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process, as the server writes itself down once it listens.
    static func current() -> ServerPidFile? {
        ProcessStat.current(pid: getpid()).map { ServerPidFile(pid: $0.pid, startTime: $0.startTime) }
    }

    static func read(_ path: String) -> ServerPidFile? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { ServerPidFile(parsing: $0) }
    }

    /// Whether `process` (what /proc says of `pid` now; nil: no such process) is the server.
    func isRunning(_ process: ProcessStat?) -> Bool {
        process?.isSameProcess(pid: pid, startTime: startTime) ?? false
    }

    /// What `/proc` says of the pid now, checked against this file: the server, or nil (gone).
    func runningServer() -> ProcessStat? {
        let process = ProcessStat.current(pid: pid)
        return isRunning(process) ? process : nil
    }
}

extension ProcessStat {
    /// What /proc says of `pid` now; nil if no such process (or /proc cannot be read).
    static func current(pid: pid_t) -> ProcessStat? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return ProcessStat(parsing: text)
    }
}
