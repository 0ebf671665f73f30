import Glibc
import HoptraceCore

/// The docker-proxy processes running, read from /proc: their command line says what they relay.
public enum ProxyScan {
    /// `namespaceName` names a namespace by inode: `.some(nil)` is hoptrace's own, nil one not
    /// known (its proxies are skipped).
    public static func proxies(namespaceName: (UInt64) -> String??) -> [UserlandProxy] {
        var found: [UserlandProxy] = []
        for entry in NamespaceScan.entries(of: "/proc").prefix(NamespaceScan.processLimit) {
            guard let pid = Int32(entry), NamespaceScan.comm(of: pid) == "docker-proxy",
                  let ino = NamespaceScan.inode(of: NetworkNamespace.processPath(pid)), let netns = namespaceName(ino) else { continue }
            if let p = UserlandProxy(pid: pid, netns: netns, commandLine: commandLine(of: pid)) { found.append(p) }
        }
        return found.sorted { $0.pid < $1.pid }
    }

    /// /proc/PID/cmdline split at its NULs (at most 4 KiB: docker-proxy's is ~120 bytes).
    static func commandLine(of pid: Int32) -> [String] {
        let fd = open("/proc/\(pid)/cmdline", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return [] }
        return buf[..<n].split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }
}
