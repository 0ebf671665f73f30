import Glibc

/// The file behind `watch -w`. hoptrace runs as root and a recording holds payloads and
/// the namespaces' topology, so the file is created private (0600) and never through a
/// symlink someone planted at the path. It is written through its descriptor with
/// hoptrace's own buffer, so every failed write is seen (stdio's `fwrite` only fails at
/// a later flush whose result nobody reads, and a full disk truncated silently).
public final class RecordingFile {
    public let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    /// One write(2) per 64 KiB: one per packet would cost more than recording it.
    private static let flushSize = 1 << 16

    /// Opens `path` for a new recording. Without `replace` anything already there is
    /// refused (O_EXCL, which also refuses a symlink, dangling or not). With `replace`
    /// (`--force`) a regular file is reused, but O_NOFOLLOW still refuses a symlink, and
    /// the checks run on the opened descriptor, not on the path (no race), before
    /// anything is truncated: devices, FIFOs and files with other names are refused.
    public static func create(path: String, replace: Bool) throws(RecordingError) -> RecordingFile {
        // O_NONBLOCK: a FIFO planted at the path would otherwise block the open until a
        // reader came. It changes nothing for a regular file's writes.
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (replace ? 0 : O_EXCL)
        let fd = Glibc.open(path, flags, 0o600)
        guard fd >= 0 else {
            let e = errno
            if (e == ELOOP || e == EEXIST) && isSymlink(path) { throw .symlink(path: path) }
            switch e {
            case EEXIST: throw .exists(path: path)
            case ENXIO: throw .notRegularFile(path: path)  // a FIFO without a reader, a socket
            default: throw .create(path: path, errno: e)
            }
        }
        let file = RecordingFile(fd: fd, path: path)  // closes fd if a check below throws
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .create(path: path, errno: errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(path: path) }
        guard st.st_nlink == 1 else { throw .hardLinked(path: path) }
        // A replaced file would keep its old mode: a recording is 0600 either way.
        guard fchmod(fd, 0o600) == 0, ftruncate(fd, 0) == 0 else { throw .create(path: path, errno: errno) }
        return file
    }

    /// A recording onto a descriptor that is already open, which it now owns and closes.
    /// `create` is the way for a path; tests use this to write onto /dev/full.
    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Buffers `bytes`; a full buffer is written out, and a failure is thrown at once.
    public func write(_ bytes: [UInt8]) throws(RecordingError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushSize { try flush() }
    }

    /// Writes out the buffer, all of it (a short write is continued, EINTR retried).
    /// After a failure the buffer is dropped: the recording is incomplete either way.
    public func flush() throws(RecordingError) {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard fd >= 0 else { return }
        var failed: Int32 = 0
        buffer.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + at, raw.count - at)
                if n > 0 {
                    at += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    failed = n < 0 ? errno : EIO  // 0 bytes for a non-empty write: never seen, not looped on
                    return
                }
            }
        }
        if failed != 0 { throw .write(path: path, errno: failed) }
    }

    /// Writes out what is buffered and closes. Either failing means the file is
    /// incomplete (close reports a write that failed late, on NFS say); the descriptor
    /// is closed in any case.
    public func close() throws(RecordingError) {
        guard fd >= 0 else { return }
        let flushed = Result { () throws(RecordingError) in try flush() }
        // Not retried on EINTR: on Linux the descriptor is released either way.
        let closeFailed = Glibc.close(fd) == 0 ? 0 : errno
        fd = -1
        try flushed.get()
        if closeFailed != 0 { throw .write(path: path, errno: closeFailed) }
    }

    /// A run that ends on another error keeps what was recorded, as stdio's exit flush did.
    deinit { try? close() }

    private static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
    }
}
