import CHoptraceShims
import Glibc

/// Feeds a child's stdin while reading its stdout and stderr, all in one poll loop: a child
/// that fills one pipe while we wait on another would otherwise block both of us. Output
/// past `limit` bytes per stream is read and dropped (a runaway child costs no memory).
/// Owns the three descriptors it is given.
struct PipeExchange {
    private let input: [UInt8]
    private var written = 0
    private var stdin: Int32
    private var reading: [Int32]
    private let stdout: Int32
    private let limit: Int
    private(set) var stdoutBytes: [UInt8] = []
    private(set) var stderrBytes: [UInt8] = []
    private(set) var truncated = false

    init(input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32, limit: Int) {
        self.input = input
        self.stdin = stdin
        self.stdout = stdout
        self.reading = [stdout, stderr]
        self.limit = max(0, limit)
        if stdin >= 0 {
            if input.isEmpty {
                close(stdin)
                self.stdin = -1
            } else {
                _ = CHoptraceShims_set_nonblocking(stdin)
            }
        }
    }

    /// Until both outputs reach EOF (true), or the monotonic `deadline` passes (false).
    mutating func run(until deadline: Double?) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !reading.isEmpty || stdin >= 0 {
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - MonotonicClock.seconds()
                if left <= 0 { return false }
                wait = Int32(min(left * 1000 + 1, 60_000))
            }
            var fds = reading.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdin >= 0 { fds.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 {
                if errno == EINTR { continue }
                return true
            }
            for f in fds where f.revents != 0 {
                if f.fd == stdin {
                    writeSome(f.revents)
                } else {
                    readSome(f.fd, into: &buffer)
                }
            }
        }
        return true
    }

    /// A child that exits before reading everything (POLLERR, or EPIPE) just ends the writing.
    private mutating func writeSome(_ revents: Int16) {
        var done = revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
        if !done {
            let n = input.withUnsafeBytes { writeWithoutSIGPIPE(stdin, $0.baseAddress! + written, $0.count - written) }
            if n > 0 { written += n }
            done = written == input.count || (n < 0 && errno != EAGAIN && errno != EINTR)
        }
        if done {
            close(stdin)
            stdin = -1
        }
    }

    private mutating func readSome(_ fd: Int32, into buffer: inout [UInt8]) {
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            let room = limit - (fd == stdout ? stdoutBytes.count : stderrBytes.count)
            if n > room { truncated = true }
            let kept = buffer[0..<max(0, min(n, room))]
            if fd == stdout { stdoutBytes += kept } else { stderrBytes += kept }
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            reading.removeAll { $0 == fd }
            close(fd)
        }
    }

    /// Closes whatever is still open (after a timeout).
    mutating func closeAll() {
        for fd in reading { close(fd) }
        reading = []
        if stdin >= 0 { close(stdin) }
        stdin = -1
    }

    /// write(2) with SIGPIPE blocked in this thread: a reader gone since poll gives EPIPE, and
    /// the SIGPIPE that write raised for this thread is taken back before the mask is restored
    /// (unless SIGPIPE was blocked already: then what is pending is not only ours to take).
    /// The executable ignores SIGPIPE anyway; tests run this in-process, where it is not.
    private func writeWithoutSIGPIPE(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
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
}
