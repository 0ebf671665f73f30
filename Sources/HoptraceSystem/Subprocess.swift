import CHoptraceShims
import Glibc

/// What a finished program printed and how it ended.
public struct SubprocessOutput: Sendable {
    public var termination: Termination
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// It printed more than the limit: the rest was read and dropped.
    public var truncated: Bool

    public var succeeded: Bool { termination.succeeded }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// The one way hoptrace runs a program: the lab's iproute2/iptables, topology's `ip -j`,
/// explain mode's `nft` and `nsenter`, doctor's probes, the benchmark's tcpdump.
///
/// posix_spawn and a poll loop on the calling thread: no helper threads, so the privileges
/// that `watch` drops (`Privileges`) are dropped for every thread there is, and nothing
/// deadlocks on a full stderr pipe while stdout is read. Every descriptor of ours is
/// close-on-exec; the child gets SIGPIPE back at its default and an empty signal mask.
public enum Subprocess {
    /// Where a launched child's stdin, stdout or stderr goes.
    public enum Stream: Sendable, Equatable {
        case null
        /// This process's own descriptor.
        case inherit
        /// A file created (or truncated) with mode 0600.
        case file(String)
    }

    /// Runs `argv` (argv[0] found by `ToolLocator`) to its end, writing `input` to its stdin
    /// (else /dev/null) while reading stdout and stderr, each kept up to `outputLimit` bytes.
    /// Past `timeout` seconds it is killed and `timedOut` thrown. A non-zero exit or a signal
    /// is not an error here: the output says how it ended.
    public static func run(_ argv: [String], input: [UInt8]? = nil, outputLimit: Int = 16 << 20,
                           timeout: Double? = nil) throws(SubprocessError) -> SubprocessOutput {
        let path = try executable(argv)
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        defer { for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) } }
        guard CHoptraceShims_pipe_cloexec(&outPipe) == 0, CHoptraceShims_pipe_cloexec(&errPipe) == 0,
              input == nil || CHoptraceShims_pipe_cloexec(&inPipe) == 0
        else { throw .cannotStart(argv, errno: errno) }
        let pid = try spawn(path, argv) { actions in
            if input != nil {
                posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        }
        // The child's ends live on in the child only; our copies would hold EOF back.
        for fd in [inPipe[0], outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
        inPipe[0] = -1; outPipe[1] = -1; errPipe[1] = -1
        var exchange = PipeExchange(input: input ?? [], stdin: inPipe[1], stdout: outPipe[0], stderr: errPipe[0], limit: outputLimit)
        inPipe[1] = -1; outPipe[0] = -1; errPipe[0] = -1
        let deadline = timeout.map { MonotonicClock.seconds() + max(0, $0) }
        let finished = exchange.run(until: deadline)
        exchange.closeAll()
        if !finished {
            kill(pid, SIGKILL)
            _ = reap(pid)
            throw .timedOut(argv, seconds: timeout ?? 0)
        }
        return SubprocessOutput(termination: reap(pid), stdout: exchange.stdoutBytes, stderr: exchange.stderrBytes,
                                truncated: exchange.truncated)
    }

    /// Starts `argv` and returns at once; the caller waits for it (`Child.wait`).
    public static func launch(_ argv: [String], stdin: Stream = .null, stdout: Stream = .null,
                              stderr: Stream = .null) throws(SubprocessError) -> Child {
        let path = try executable(argv)
        let pid = try spawn(path, argv) { actions in
            for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
                switch stream {
                case .inherit: break
                case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
                case .file(let file):
                    posix_spawn_file_actions_addopen(&actions, fd, file, fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                }
            }
        }
        return Child(pid: pid, argv: argv)
    }

    /// Runs `argv` with every stream on /dev/null and waits: for a launcher such as
    /// `setsid -f` or `tmux new-session -d`, whose daemon would hold a pipe of ours open.
    @discardableResult
    public static func runDetached(_ argv: [String]) throws(SubprocessError) -> Termination {
        try launch(argv).wait()
    }

    static func executable(_ argv: [String]) throws(SubprocessError) -> String {
        guard let tool = argv.first else { throw .cannotStart(argv, errno: EINVAL) }
        guard let path = ToolLocator.locate(tool) else { throw .toolMissing(tool, package: ToolLocator.package(providing: tool)) }
        return path
    }

    private static func spawn(_ path: String, _ argv: [String],
                              _ setUp: (inout posix_spawn_file_actions_t) -> Void) throws(SubprocessError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        setUp(&actions)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // hoptrace ignores SIGPIPE and its loop may block signals; neither is the child's business.
        var none = sigset_t(), pipe = sigset_t()
        sigemptyset(&none)
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &pipe)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, cArgs, environ)
        guard rc == 0 else { throw .cannotStart(argv, errno: rc) }
        return pid
    }

    static func reap(_ pid: pid_t) -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(-1) }
        }
        return Termination(waitStatus: status)
    }
}

/// A launched program. `wait` reaps it once; later calls return the same termination.
public final class Child: @unchecked Sendable {
    public let pid: pid_t
    public let argv: [String]
    private var termination: Termination?

    init(pid: pid_t, argv: [String]) {
        self.pid = pid
        self.argv = argv
    }

    /// Blocks until it ends.
    @discardableResult
    public func wait() -> Termination {
        if let termination { return termination }
        let t = Subprocess.reap(pid)
        termination = t
        return t
    }

    /// Still running (reaps it when it has ended).
    public var isRunning: Bool {
        guard termination == nil else { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { termination = Termination(waitStatus: status) }
        return r == 0
    }

    /// Sends `signal` unless it has been reaped (its pid may belong to another process then).
    public func signal(_ signal: Int32) {
        guard termination == nil else { return }
        kill(pid, signal)
    }
}

/// CLOCK_MONOTONIC in seconds: deadlines that a changed wall clock cannot move.
enum MonotonicClock {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
