import CHoptraceShims
import Foundation
import Glibc
import HoptraceCore

/// Runs a command inside a network namespace (`nsenter --net=PATH …`; the command itself for the
/// current namespace), with optional stdin, and returns what it printed. nft and iptables are
/// run this way: simplest, and exactly what a user would type.
///
/// No temporary files: the script goes to the child's stdin and its output comes back through
/// pipes, all three served by one poll loop (a child that fills its stdout pipe while we are
/// still writing its stdin would otherwise block both of us). Nothing is left on disk when
/// hoptrace is killed, and there is no path for anyone to plant a link at.
enum NamespaceCommand {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The path `nsenter --net=` takes: a name under /run/netns, or a path as given; nil = here.
    static func path(of netns: String?) -> String? {
        netns.map { $0.hasPrefix("/") ? $0 : "/run/netns/" + $0 }
    }

    static func run(_ argv: [String], in netnsPath: String?, stdin: String? = nil) throws -> Output {
        let full = (netnsPath.map { ["nsenter", "--net=\($0)", "--"] } ?? []) + argv
        guard let exe = locate(full[0]) else { throw ExplainError.missingTool(full[0]) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = Array(full.dropFirst())
        let out = Pipe(), err = Pipe(), input = stdin.map { _ in Pipe() }
        p.standardOutput = out
        p.standardError = err
        if let input { p.standardInput = input } else { p.standardInput = FileHandle.nullDevice }
        // Process closes the child's ends of the pipes in this process once it has started it.
        try p.run()
        let (stdout, stderr) = exchange(Array((stdin ?? "").utf8), into: input?.fileHandleForWriting,
                                        stdout: out.fileHandleForReading.fileDescriptor,
                                        stderr: err.fileHandleForReading.fileDescriptor)
        p.waitUntilExit()
        return Output(status: p.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Writes `bytes` to the child's stdin (then closes it: nft reads to EOF) while reading its
    /// stdout and stderr, until both reach EOF. The stdin end is non-blocking. A child that exits
    /// before reading everything (POLLERR, or EPIPE) just ends the writing, never the process by
    /// SIGPIPE, also where SIGPIPE is not ignored (tests run this in-process); its status and
    /// stderr say why.
    private static func exchange(_ bytes: [UInt8], into stdinHandle: FileHandle?,
                                 stdout: Int32, stderr: Int32) -> (stdout: [UInt8], stderr: [UInt8]) {
        var writing = stdinHandle
        var written = 0
        if let w = writing {
            if bytes.isEmpty {
                try? w.close()
                writing = nil
            } else {
                _ = CHoptraceShims_set_nonblocking(w.fileDescriptor)
            }
        }
        var reading: [Int32] = [stdout, stderr]
        var collected: [Int32: [UInt8]] = [stdout: [], stderr: []]
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !reading.isEmpty || writing != nil {
            var fds = reading.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if let w = writing { fds.append(pollfd(fd: w.fileDescriptor, events: Int16(POLLOUT), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for f in fds where f.revents != 0 {
                if let w = writing, f.fd == w.fileDescriptor {
                    var done = f.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
                    if !done {
                        let n = bytes.withUnsafeBytes { writeWithoutSIGPIPE(f.fd, $0.baseAddress! + written, $0.count - written) }
                        if n > 0 { written += n }
                        done = written == bytes.count || (n < 0 && errno != EAGAIN && errno != EINTR)
                    }
                    if done {
                        try? w.close()
                        writing = nil
                    }
                } else {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(f.fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        collected[f.fd, default: []] += buffer[0..<n]
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                        reading.removeAll { $0 == f.fd }
                    }
                }
            }
        }
        if let w = writing { try? w.close() }
        return (collected[stdout] ?? [], collected[stderr] ?? [])
    }

    /// write(2) with SIGPIPE blocked in this thread: a reader gone since poll gives EPIPE, and
    /// the SIGPIPE that write raised for this thread is taken back before the mask is restored
    /// (unless SIGPIPE was blocked already: then what is pending is not only ours to take).
    private static func writeWithoutSIGPIPE(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        var pipeOnly = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
        let n = Glibc.write(fd, bytes, count)
        let e = errno
        if n < 0 && e == EPIPE && sigismember(&previous, SIGPIPE) == 0 {
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeOnly, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        errno = e
        return n
    }

    static func locate(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return tool }
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"] {
            let path = "\(dir)/\(tool)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }
}

/// Explain mode's failures, each a sentence a user can act on.
public enum ExplainError: Error, CustomStringConvertible, Equatable {
    case missingTool(String)
    case nft(netns: String?, action: String, message: String)
    case socket(netns: String?, function: String, errno: Int32)
    /// Tracing was asked of a session already closed (explain mode turned off).
    case closed(netns: String?, table: String)
    /// A table with this run's own name (`inet hoptrace_<pid>`) that this run did not make, and
    /// that nft cannot replace: one held by another process (`flags owner`), named after a pid
    /// this process now has. `reason` is nft's (`NFTMessage.reason`).
    case tableInTheWay(netns: String?, table: String, reason: String)

    public var description: String {
        switch self {
        case .missingTool(let t):
            return "\(t) not found: explain mode runs it (apt-get install \(t == "nsenter" ? "util-linux" : t == "nft" ? "nftables" : t))"
        case .nft(let ns, let action, let message):
            return "\(ns ?? "current namespace"): nft failed to \(action): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .socket(let ns, let function, let e):
            return "\(ns ?? "current namespace"): \(function): \(String(cString: strerror(e)))"
                + (e == EPERM ? " (nftables tracing needs root / CAP_NET_ADMIN)" : "")
        case .closed(let ns, let table):
            return "\(ns ?? "current namespace"): the trace session of \(table) is closed; turn explain mode on again"
        case .tableInTheWay(let ns, let table, let reason):
            return "\(ns ?? "current namespace"): a table \(table) that this run did not make has the name explain mode needs, "
                + "and nft cannot replace it (\(reason)"
                + (NFTMessage.isPermissionDenied(reason) ? ": another process holds it, `flags owner`" : "")
                + "); remove it, or run hoptrace again (a new run has another pid, so another table name)"
        }
    }
}
