import Glibc

/// Why a program could not be run, or what went wrong while it ran.
public enum SubprocessError: Error, CustomStringConvertible, Equatable {
    /// Not on PATH nor in the sbin/bin directories.
    case toolMissing(String, package: String)
    /// posix_spawn, pipe2 or open failed (the errno).
    case cannotStart([String], errno: Int32)
    /// Killed after running longer than its time limit.
    case timedOut([String], seconds: Double)

    public var description: String {
        switch self {
        case .toolMissing(let tool, let package):
            return "\(tool) not found (apt-get install \(package))"
        case .cannotStart(let argv, let e):
            return "cannot run \(argv.joined(separator: " ")): \(String(cString: strerror(e)))"
        case .timedOut(let argv, let seconds):
            return "\(argv.joined(separator: " ")) did not finish within \(seconds) s and was killed"
        }
    }
}
