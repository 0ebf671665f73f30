import Foundation
import HoptraceSystem

/// A program the benchmark runs beside hoptrace (tcpdump, conntrack -E, hoptrace
/// itself), with its stderr kept for the figures it prints on exit.
final class Observed {
    let name: String
    let process: Child
    let stderrPath: String
    let stdoutPath: String

    init(_ name: String, _ argv: [String], keepStdout: Bool = false) throws {
        self.name = name
        let dir = FileManager.default.temporaryDirectory.path
        stderrPath = "\(dir)/htbench-\(getpid())-\(name).err"
        stdoutPath = keepStdout ? "\(dir)/htbench-\(getpid())-\(name).out" : "/dev/null"
        process = try Subprocess.launch(argv, stdout: keepStdout ? .file(stdoutPath) : .null, stderr: .file(stderrPath))
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdoutLines: Int {
        guard stdoutPath != "/dev/null", let s = try? String(contentsOfFile: stdoutPath, encoding: .utf8) else { return 0 }
        return s.split(separator: "\n").count
    }

    /// Waits until stderr says `text` (the program is listening).
    func waitFor(_ text: String, timeout: Double = 15) throws {
        let end = Date().addingTimeInterval(timeout)
        while !stderr.contains(text) {
            guard Date() < end, process.isRunning else { throw BenchError("\(name) did not start: \(stderr)") }
            usleep(20_000)
        }
    }

    /// CPU seconds used so far (user + system), from /proc/PID/stat.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Waits until the program has caught up: its CPU time grew by less than 10 ms over
    /// half a second (at most `timeout`). Returns the seconds waited.
    @discardableResult
    func waitUntilIdle(timeout: Double = 30) -> Double {
        let start = Date()
        var last = cpuSeconds
        while Date().timeIntervalSince(start) < timeout {
            usleep(500_000)
            let now = cpuSeconds
            if now - last < 0.01 { break }
            last = now
        }
        return Date().timeIntervalSince(start)
    }

    func stop() {
        process.signal(SIGINT)
        process.wait()
    }

    deinit {
        if process.isRunning { process.signal(SIGKILL) }
        process.wait()
        for p in [stderrPath, stdoutPath] where p != "/dev/null" { try? FileManager.default.removeItem(atPath: p) }
    }
}

/// Runs a command and returns its stdout; the benchmark's lab chores.
@discardableResult
func sh(_ argv: [String]) throws -> String {
    try Subprocess.run(argv).stdoutText
}

/// One line of figures to stdout at once (unbuffered: a long run shows what it has measured).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

