import Glibc
import HoptraceCore

/// A namespace's drop counter files, opened once inside it (on a `NetnsThread`, before the
/// privilege drop) and read again from offset 0 at every sample: a /proc/net file shows the
/// namespace it was opened in, whichever thread reads it later.
public final class CounterFiles: @unchecked Sendable {
    public let netns: String?
    /// snmp, netstat, stat/nf_conntrack, nf_conntrack_count, nf_conntrack_max (-1: absent, e.g.
    /// conntrack not loaded).
    private let fds: [Int32]
    private var buffer = [UInt8](repeating: 0, count: KernelCounters.Limits.bytes + 1)

    /// /proc/thread-self/net: the reading thread's namespace (plain /proc/net follows the
    /// process's main thread, not the NetnsThread that entered `netns`).
    static let paths = ["/proc/thread-self/net/snmp", "/proc/thread-self/net/netstat", "/proc/thread-self/net/stat/nf_conntrack",
                        KernelCounters.File.conntrackCount, KernelCounters.File.conntrackMax]

    init(netns: String?, fds: [Int32]) {
        self.netns = netns
        self.fds = fds
    }

    deinit { for fd in fds where fd >= 0 { close(fd) } }

    /// The files of every namespace that has them (a namespace whose snmp cannot be opened is left out).
    public static func open(namespaces: [String?]) -> [CounterFiles] {
        namespaces.compactMap { ns in
            let fds = try? NetnsThread.run(in: ns.map { NetworkNamespace($0) }) { () -> [Int32] in
                paths.map { Glibc.open($0, O_RDONLY | O_CLOEXEC) }
            }
            guard let fds, fds[0] >= 0 else {
                fds?.forEach { if $0 >= 0 { close($0) } }
                return nil
            }
            return CounterFiles(netns: ns, fds: fds)
        }
    }

    /// One sample; nil when a file cannot be read or parsed (the caller skips it).
    public func sample() -> KernelCounters? {
        let texts = fds.map { fd in fd < 0 ? nil : read(fd) }
        guard let snmp = texts[0] else { return nil }
        return try? KernelCounters(snmp: snmp, netstat: texts[1], conntrackStat: texts[2], count: texts[3], max: texts[4],
                                   keeping: CounterHistory.selection)
    }

    /// The whole file from offset 0 (a seq_file regenerates it), at most the parser's limit.
    private func read(_ fd: Int32) -> String? {
        var total = 0
        while total < buffer.count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + total, $0.count - total, off_t(total)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            total += n
        }
        return String(decoding: buffer[..<total], as: UTF8.self)
    }
}
