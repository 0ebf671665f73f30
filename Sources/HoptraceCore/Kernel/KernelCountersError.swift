// MARK: - Errors

/// Text that is not the kernel's counters. Each case reads as a sentence naming the file.
public enum KernelCountersError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More than `KernelCounters.Limits`, refused before it was parsed.
    case tooLarge(file: String, detail: String)
    /// Not what the kernel prints; `line` counts from 1, nil when the whole file is at fault.
    case malformed(file: String, line: Int?, detail: String)

    public var description: String {
        switch self {
        case .tooLarge(let file, let detail):
            "\(file): too large to be the kernel's counters: \(detail)"
        case .malformed(let file, .some(let line), let detail):
            "\(file) line \(line): \(detail)"
        case .malformed(let file, .none, let detail):
            "\(file): \(detail)"
        }
    }
}
