import Glibc
import HoptraceCore

/// The network namespaces the machine has, read from the files that hold them: the named ones
/// under /run/netns and every process's /proc/PID/ns/net (what `lsns -t net` reads). A
/// namespace is its inode; `NamespaceInventory` joins the names, processes and containers.
public enum NamespaceScan {
    /// Processes looked at, at most: /proc on a busy host is large, and a scan must stay quick.
    public static let processLimit = 1 << 16

    /// The namespace's inode (nsfs), nil when the file cannot be read (gone, or no permission).
    public static func inode(of path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    /// hoptrace's own namespace.
    public static func own() -> UInt64? { inode(of: NetworkNamespace.ownPath) }

    /// /run/netns, by name.
    public static func named() -> [NamespaceInventory.Named] {
        entries(of: NetworkNamespace.namedDirectory).sorted().compactMap { name in
            inode(of: NetworkNamespace.namedPath(name)).map { NamespaceInventory.Named(name: name, inode: $0) }
        }
    }

    /// One process per namespace (the lowest pid) and how many share it, within `processLimit`.
    public static func processes() -> [NamespaceInventory.Process] {
        var byInode: [UInt64: NamespaceInventory.Process] = [:]
        for entry in entries(of: "/proc").prefix(processLimit) {
            guard let pid = Int32(entry), pid > 0, let ino = inode(of: NetworkNamespace.processPath(pid)) else { continue }
            if var known = byInode[ino] {
                known.count += 1
                if pid < known.pid { known.pid = pid; known.comm = comm(of: pid) }
                byInode[ino] = known
            } else {
                byInode[ino] = .init(pid: pid, comm: comm(of: pid), inode: ino, count: 1)
            }
        }
        return byInode.values.sorted { $0.pid < $1.pid }
    }

    /// The process's command name (at most 15 bytes: the kernel's TASK_COMM_LEN); "" when gone.
    static func comm(of pid: Int32) -> String {
        guard let f = fopen("/proc/\(pid)/comm", "re") else { return "" }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 32)
        guard fgets(&buf, Int32(buf.count), f) != nil else { return "" }
        let bytes = buf.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A directory's entries, without "." and ".."; none when it cannot be read.
    static func entries(of dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
