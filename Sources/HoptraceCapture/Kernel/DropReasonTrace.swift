import CHoptraceShims
import Foundation
import Glibc
import HoptraceCore

/// The kernel's drop reasons (`skb:kfree_skb` with its `reason`), read from a tracefs instance
/// of hoptrace's own, `instances/hoptrace_<pid>`: its own buffer, clock and filter, so it
/// neither sees nor disturbs anyone else's tracing. Made at start (while privileged), read at
/// the loop's pace, removed on every way out; one a killed hoptrace left is removed at the
/// next start, like the nft trace table.
///
/// When tracefs is not mounted, it is mounted in a private mount namespace of a helper thread
/// that ends at once: the descriptor outlives it, the machine's mount table never changes.
public final class DropReasonTrace: @unchecked Sendable {
    public static let mountpoint = "/sys/kernel/tracing"
    static let prefix = "hoptrace_"
    /// Per CPU: the kernel drops what overflows it rather than growing (~16 pages).
    static let bufferKiB = 64
    /// Read per turn of the loop at most: a flood of drops cannot stall the loop.
    static let readLimit = 64 * 1024

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    public let instanceName: String
    /// How tracefs was reached, for doctor and the start line.
    public let source: String
    private let instances: Int32
    private var pipe: Int32
    private var enable: Int32
    /// CLOCK_REALTIME − CLOCK_MONOTONIC at start, in µs: the instance's clock is `mono`.
    private let clockOffset: Int64
    private var partial: [UInt8] = []
    /// The kernel's overrun count across CPUs as last read: a rise means drops were lost.
    private var overruns = 0
    private var lastLossCheck = -Double.infinity
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)

    private init(instanceName: String, source: String, instances: Int32, pipe: Int32, enable: Int32) {
        self.instanceName = instanceName
        self.source = source
        self.instances = instances
        self.pipe = pipe
        self.enable = enable
        clockOffset = Self.micros(CLOCK_REALTIME) - Self.micros(CLOCK_MONOTONIC)
    }

    deinit { _ = close() }

    /// Sets the instance up. Throws why the reasons are not available (no tracefs, no
    /// permission to mount it, a kernel whose kfree_skb has no reason, …).
    public static func open(pid: Int32 = getpid()) throws(Unavailable) -> DropReasonTrace {
        let (root, source) = try tracefsRoot()
        defer { Glibc.close(root) }
        let instances = CHoptraceShims_open_path_dir(root, "instances")
        guard instances >= 0 else { throw Unavailable("tracefs has no instances directory (\(errnoText()))") }
        sweep(instances: instances, root: root, own: pid)
        let name = prefix + String(pid)
        guard mkdirat(instances, name, 0o700) == 0 else {
            let why = errnoText()
            Glibc.close(instances)
            throw Unavailable("cannot create the tracefs instance \(name) (\(why))")
        }
        do throws(Unavailable) {
            let (pipe, enable) = try configure(instances: instances, name: name)
            return DropReasonTrace(instanceName: name, source: source, instances: instances, pipe: pipe, enable: enable)
        } catch {
            remove(name, in: instances)
            Glibc.close(instances)
            throw error
        }
    }

    /// The machine's tracefs when it is mounted anywhere (tracefs is one superblock: mounting it
    /// again, even privately, would reconfigure the machine's); else one mounted privately.
    static func tracefsRoot() throws(Unavailable) -> (Int32, String) {
        if let existing = mountedTracefs() {
            let fd = CHoptraceShims_open_path_dir(AT_FDCWD, existing)
            guard fd >= 0 else { throw Unavailable("cannot open the machine's tracefs at \(existing) (\(errnoText()))") }
            return (fd, "the machine's tracefs at \(existing)")
        }
        let result = PrivateMount.run()
        guard result.fd >= 0 else {
            let what = ["cannot unshare a private mount namespace", "cannot make the private mounts private",
                        "cannot mount tracefs at \(mountpoint) privately", "cannot open the private tracefs"][min(max(result.step, 0), 3)]
            throw Unavailable("\(what) (\(String(cString: strerror(result.errno))))")
        }
        return (result.fd, "tracefs mounted in hoptrace's own mount namespace")
    }

    /// Where /proc/self/mountinfo shows a tracefs mounted (`/sys/kernel/tracing`, or
    /// `/sys/kernel/debug/tracing`); nil when none is.
    static func mountedTracefs(mountinfo: String? = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) -> String? {
        for line in (mountinfo ?? "").split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count >= 2, halves[1].hasPrefix("tracefs ") else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { continue }
            // Spaces and the like are octal escapes there (`\040`).
            return String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
        }
        return nil
    }

    /// The kfree_skb event of the new instance, filtered and enabled; returns trace_pipe and enable.
    private static func configure(instances: Int32, name: String) throws(Unavailable) -> (Int32, Int32) {
        let event = "\(name)/events/skb/kfree_skb"
        guard let formatText = readFile(instances, "\(event)/format") else {
            throw Unavailable("this kernel has no skb:kfree_skb tracepoint (\(errnoText()))")
        }
        guard let format = DropReasonFormat(format: formatText), let filter = format.filter else {
            throw Unavailable("this kernel's skb:kfree_skb carries no drop reason (Linux 5.17 and later have it)")
        }
        // Timestamps on CLOCK_MONOTONIC, so they can be put on the packets' wall clock.
        guard writeFile(instances, "\(name)/trace_clock", "mono") else { throw Unavailable("cannot set the instance's clock to mono (\(errnoText()))") }
        _ = writeFile(instances, "\(name)/buffer_size_kb", String(bufferKiB))
        guard writeFile(instances, "\(event)/filter", filter) else { throw Unavailable("the kernel refused the filter \"\(filter)\" (\(errnoText()))") }
        let enable = openat(instances, "\(event)/enable", O_WRONLY | O_CLOEXEC)
        guard enable >= 0, Glibc.write(enable, "1", 1) == 1 else {
            let why = errnoText()
            if enable >= 0 { Glibc.close(enable) }
            throw Unavailable("cannot enable skb:kfree_skb (\(why))")
        }
        let pipe = openat(instances, "\(name)/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard pipe >= 0 else {
            let why = errnoText()
            _ = Glibc.write(enable, "0", 1)
            Glibc.close(enable)
            throw Unavailable("cannot open the instance's trace_pipe (\(why))")
        }
        return (pipe, enable)
    }

    /// Whether the kernel's buffer overflowed since the last call (drops traced but lost):
    /// the counts of a window reaching back past now are then lower bounds.
    public func lostSome(now: Double = Monotonic.now) -> Bool {
        // One file per CPU: read once a second at most.
        guard now - lastLossCheck >= 1 else { return false }
        lastLossCheck = now
        var total = 0
        for cpu in 0..<Self.cpus {
            // A CPU that cannot be read leaves the last total: a partial sum would look like a loss later.
            guard let stats = Self.readFile(instances, "\(instanceName)/per_cpu/cpu\(cpu)/stats") else { return false }
            for line in stats.split(separator: "\n") {
                if line.hasPrefix("overrun:") { total += Int(line.dropFirst("overrun:".count).trimmingCharacters(in: .whitespaces)) ?? 0 }
                if line.hasPrefix("dropped events:") { total += Int(line.dropFirst("dropped events:".count).trimmingCharacters(in: .whitespaces)) ?? 0 }
            }
        }
        defer { overruns = total }
        return total > overruns
    }

    static let cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_CONF)))

    /// The drops traced since the last call, at most `readLimit` bytes of them.
    public func drain() -> [DropReasonHistory.Entry] {
        guard pipe >= 0 else { return [] }
        var out: [DropReasonHistory.Entry] = []
        var total = 0
        while total < Self.readLimit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(pipe, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            total += n
            partial.append(contentsOf: buffer[..<n])
            var start = 0
            while let nl = partial[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let drop = partial.withUnsafeBufferPointer { KernelDrop.parse(UnsafeBufferPointer(rebasing: $0[start..<nl])) }
                // A timestamp Int64 microseconds cannot hold is not the kernel's (and would trap).
                if let drop, let t = drop.timestamp, t.isFinite, abs(t) < 1e12 {
                    out.append(.init(time: EventTime(micros: Int64(t * 1_000_000) + clockOffset), reason: drop.reason, location: drop.location))
                }
                start = nl + 1
            }
            partial.removeFirst(start)
            // A line longer than any kfree_skb line is not one: forget it.
            if partial.count > 4096 { partial.removeAll() }
        }
        return out
    }

    /// Disables and removes the instance; nil, or why it could not be removed. Safe to call twice.
    @discardableResult
    public func close() -> String? {
        guard pipe >= 0 else { return nil }
        _ = Glibc.write(enable, "0", 1)
        Glibc.close(enable)
        Glibc.close(pipe)
        pipe = -1
        enable = -1
        defer { Glibc.close(instances) }
        return Self.remove(instanceName, in: instances)
    }

    /// Removes the instances of hoptraces no longer running (and one of this pid, left by a dead one).
    static func sweep(instances: Int32, root: Int32, own pid: Int32) {
        let listing = openat(root, "instances", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard listing >= 0 else { return }
        guard let dir = fdopendir(listing) else {
            Glibc.close(listing)
            return
        }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix), let owner = Int32(name.dropFirst(prefix.count)) else { continue }
            if owner == pid || (kill(owner, 0) != 0 && errno == ESRCH) { stale.append(name) }
        }
        // rmdir alone: an instance in use (another pid namespace's hoptrace with the same number)
        // keeps its trace_pipe open, and the kernel refuses it as busy; its tracing is not touched.
        for name in stale { _ = unlinkat(instances, name, AT_REMOVEDIR) }
    }

    /// nil, or why the instance stayed.
    @discardableResult
    static func remove(_ name: String, in instances: Int32) -> String? {
        _ = writeFile(instances, "\(name)/events/skb/kfree_skb/enable", "0")
        // A reader that just closed may hold it a moment: the kernel says busy until it lets go.
        for attempt in 0..<20 {
            if unlinkat(instances, name, AT_REMOVEDIR) == 0 || errno == ENOENT { return nil }
            if errno != EBUSY || attempt == 19 { break }
            usleep(10_000)
        }
        return "cannot remove the tracefs instance \(name) (\(errnoText()))"
    }

    static func readFile(_ dir: Int32, _ path: String) -> String? {
        let fd = openat(dir, path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func writeFile(_ dir: Int32, _ path: String, _ text: String) -> Bool {
        let fd = openat(dir, path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var text = text
        return text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func micros(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// The private tracefs mount, on a thread of its own: unshare(CLONE_NEWNS) changes only the
/// calling thread, and that thread ends right after, taking its mount namespace with it.
private enum PrivateMount {
    static func run() -> (fd: Int32, step: Int, errno: Int32) {
        let result = try? NetnsThread.onThreadOfItsOwn { () -> (fd: Int32, step: Int, errno: Int32) in
            var step: Int32 = 0
            let fd = CHoptraceShims_private_tracefs(DropReasonTrace.mountpoint, &step)
            return (fd, Int(step), Glibc.errno)
        }
        return result ?? (-1, 0, EAGAIN)
    }
}
