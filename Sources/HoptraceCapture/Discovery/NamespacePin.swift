import Glibc

/// A container's namespace file, opened once while hoptrace still holds its privileges, and
/// named from then on by the open descriptor: `/proc/<hoptrace>/fd/N`.
///
/// Why: opening another process's /proc/PID/ns/net passes the kernel's ptrace access check,
/// which wants the opener's capabilities to cover the target's (or CAP_SYS_PTRACE). A container's
/// root process holds more than the three a capture keeps after its drop, so reopening its file
/// later (explain mode's tracing, a topology re-read) would fail with "Permission denied". The
/// descriptor is hoptrace's own: setns on it, and nsenter (a child holding the same three) open it.
public enum NamespacePin {
    /// The pinned name of `path`, or `path` itself when it cannot be opened (the run then says
    /// so where it enters). Descriptors stay open for the life of the process, close-on-exec.
    public static func pin(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return path }
        return "/proc/\(getpid())/fd/\(fd)"
    }
}
