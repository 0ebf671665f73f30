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

/// Linux capability bits, read from /proc/self/status (`CapEff:` in hex).
public struct Capabilities: Sendable, Equatable {
    public static let netAdmin = 12
    public static let netRaw = 13
    public static let sysAdmin = 21

    public var effective: UInt64

    public init(effective: UInt64) { self.effective = effective }

    public init?(procStatus: String) {
        for line in procStatus.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces)
            guard let v = UInt64(hex, radix: 16) else { return nil }
            self.effective = v
            return
        }
        return nil
    }

    public func has(_ bit: Int) -> Bool { effective & (1 << UInt64(bit)) != 0 }
}
