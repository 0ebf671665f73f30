import Foundation

/// A program the benchmark runs beside hoptrace (tcpdump, conntrack -E, hoptrace
/// itself), with its stderr kept for the figures it prints on exit.
final class Observed {
    let name: String
    let process = Process()
    let stderrPath: String
    let stdoutPath: String

    init(_ name: String, _ argv: [String], keepStdout: Bool = false) throws {
        self.name = name
        let dir = FileManager.default.temporaryDirectory.path
        stderrPath = "\(dir)/htbench-\(getpid())-\(name).err"
        stdoutPath = keepStdout ? "\(dir)/htbench-\(getpid())-\(name).out" : "/dev/null"
        for p in [stderrPath, stdoutPath] where p != "/dev/null" { _ = FileManager.default.createFile(atPath: p, contents: nil) }
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
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
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
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
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for p in [stderrPath, stdoutPath] where p != "/dev/null" { try? FileManager.default.removeItem(atPath: p) }
    }
}

/// Runs a command and returns its stdout; the benchmark's lab chores.
@discardableResult
func sh(_ argv: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// One line of figures to stdout at once (unbuffered: a long run shows what it has measured).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

