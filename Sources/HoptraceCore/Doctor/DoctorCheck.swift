import Foundation

/// One line of `hoptrace doctor`: what was checked, what was found, what to do.
public struct DoctorCheck: Sendable, Equatable {
    public enum Status: String, Sendable {
        case ok = "OK", warn = "WARN", fail = "FAIL"
    }

    public var name: String
    public var status: Status
    /// What was found, e.g. "libpcap version 1.10.3".
    public var detail: String
    /// What to do when it is not OK; empty when OK.
    public var fix: String
    /// A failed required check makes doctor exit non-zero; optional ones only warn.
    public var required: Bool

    public init(name: String, status: Status, detail: String, fix: String = "", required: Bool) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
        self.required = required
    }
}

public enum DoctorReport {
    /// Non-zero when any required check failed.
    public static func exitCode(_ checks: [DoctorCheck]) -> Int32 {
        checks.contains { $0.required && $0.status == .fail } ? 1 : 0
    }

    public static func render(_ checks: [DoctorCheck]) -> String {
        let width = checks.map(\.name.count).max() ?? 0
        return checks.map { c in
            var line = "\(c.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)) "
                + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.detail
            if c.status != .ok && !c.fix.isEmpty { line += " — " + c.fix }
            if c.status == .fail && !c.required { line += " (optional)" }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
