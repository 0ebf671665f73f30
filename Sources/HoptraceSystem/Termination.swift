/// How a child ended. A child killed by a signal did not succeed, whatever its "status".
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// From waitpid's status word (wait(2): WIFEXITED / WTERMSIG, which are macros).
    init(waitStatus status: Int32) {
        self = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
    }

    public var succeeded: Bool { self == .exited(0) }

    /// The exit status, or 128 + the signal as a shell reports it.
    public var code: Int32 {
        switch self {
        case .exited(let c): c
        case .signalled(let s): 128 + s
        }
    }

    public var description: String {
        switch self {
        case .exited(let c): "exit status \(c)"
        case .signalled(let s): "killed by signal \(s)"
        }
    }
}
