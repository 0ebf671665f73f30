import Glibc
import HoptraceCore

extension NetworkNamespace {
    /// The namespace's inode number in nsfs: two paths (a /run/netns name, a process's
    /// /proc/PID/ns/net) are the same namespace exactly when their inodes are equal. stat follows
    /// the bind mount or the /proc link to the namespace itself. nil when it cannot be read
    /// (no such namespace, no permission). I/O, so it lives here and not in the pure type.
    public func inode() -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }
}
