import Glibc

/// Why `watch -w FILE` refused the file or stopped writing it, naming the file as the
/// user typed it, with the system's own words (`strerror`).
public enum RecordingError: Error, Equatable, CustomStringConvertible {
    /// Something is already at the path and `--force` was not given.
    case exists(path: String)
    /// The path is a symbolic link: never written through, not even with `--force`.
    case symlink(path: String)
    /// A device, FIFO, socket or directory: `--force` replaces regular files only.
    case notRegularFile(path: String)
    /// A regular file with other names: truncating it would change a file elsewhere.
    case hardLinked(path: String)
    case create(path: String, errno: Int32)
    /// A failed write(2), or close(2) reporting a write that failed late: the recording is incomplete.
    case write(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .exists(let path):
            return "\(path) exists: hoptrace does not overwrite recordings; use --force"
        case .symlink(let path):
            return "\(path) is a symbolic link: hoptrace never writes a recording through one, not even with --force"
        case .notRegularFile(let path):
            return "\(path) is not a regular file: hoptrace writes recordings only to regular files"
        case .hardLinked(let path):
            return "\(path) has other hard links: hoptrace does not truncate a file that has other names"
        case .create(let path, let e):
            return "cannot create \(path): \(String(cString: strerror(e)))"
        case .write(let path, let e):
            return "cannot write \(path): \(String(cString: strerror(e)))"
        }
    }
}
