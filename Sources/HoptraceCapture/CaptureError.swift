import Glibc

/// Capture failures, each one sentence a user can act on, with the library's own words.
public enum CaptureError: Error, CustomStringConvertible {
    case namespace(path: String, errno: Int32)
    case pcap(point: String, function: String, message: String)
    case filter(expression: String, message: String)
    case file(path: String, errno: Int32)
    case topology(String)
    /// More points or kernel buffer memory than one run may take (`CaptureBudget`).
    case budget(String)
    case explain(String)
    case terminal(String)
    case replay(path: String, message: String, packetsBefore: Int)

    public var description: String {
        switch self {
        case .namespace(let path, let e):
            if e == ENOENT { return "network namespace not found: \(path) (see 'ip netns list')" }
            return "cannot enter network namespace \(path): \(String(cString: strerror(e)))"
                + (e == EPERM ? " (entering another network namespace needs CAP_SYS_ADMIN: run with sudo; see 'hoptrace doctor')" : "")
        case .pcap(let point, let function, let message):
            return "\(point): \(function): \(message)"
        case .budget(let message):
            return message
        case .filter(let expression, let message):
            return "invalid capture filter '\(expression)': \(message)"
        case .explain(let message):
            return "explain mode: \(message)"
        case .terminal(let message):
            return message
        case .topology(let message):
            return "reading the namespaces' topology: \(message)"
        case .file(let path, let e):
            return "\(path): \(String(cString: strerror(e)))"
        case .replay(let path, let message, let before):
            return "\(path): \(message); the \(before) packets before it were replayed"
        }
    }
}
