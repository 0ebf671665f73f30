import Synchronization

/// Builds one NDJSON object by hand: field order is stable and nothing on the
/// hot path goes through Foundation.
public struct JSONLine {
    private var body = ""

    public init() {}

    public mutating func add(_ key: String, _ value: String) { field(key, Self.quote(value)) }
    public mutating func add(_ key: String, _ value: Int) { field(key, String(value)) }
    public mutating func add(_ key: String, _ value: Bool) { field(key, value ? "true" : "false") }
    public mutating func add(_ key: String, _ value: [String]) { field(key, "[" + value.map(Self.quote).joined(separator: ",") + "]") }
    public mutating func add(_ key: String, _ object: JSONLine) { field(key, object.text) }
    public mutating func addNull(_ key: String) { field(key, "null") }
    /// `raw` must already be JSON (an array built from JSONLine texts).
    public mutating func addRaw(_ key: String, _ raw: String) { field(key, raw) }

    /// Keys are string literals in hoptrace's own code: plain ASCII, never escaped.
    private mutating func field(_ key: String, _ raw: String) {
        if !body.isEmpty { body += "," }
        body += "\""
        body += key
        body += "\":"
        body += raw
    }

    public var text: String { "{" + body + "}" }

    /// RFC 8259 string escaping; anything below 0x20 becomes \u00XX.
    public static func quote(_ s: String) -> String {
        // Most values (addresses, names, times) need no escaping: one scan, one copy.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// RFC 3339 UTC with microseconds: 2026-11-23T12:53:11.021755Z.
public enum RFC3339 {
    /// The date-and-seconds part of the last second formatted: consecutive events
    /// mostly share it, so only the microseconds are new text.
    /// Behind a lock: the event loop is the only writer in the tool, but tests format in parallel.
    static let cache = Mutex<(second: Int, prefix: String)>((Int.min, ""))

    public static func format(seconds: Int, micros: Int) -> String {
        let prefix = cache.withLock { c -> String in
            if c.second != seconds { c = (seconds, String(formatUncached(seconds: seconds, micros: 0).dropLast(7))) }
            return c.prefix
        }
        var us = String(micros)
        if us.count < 6 { us = String(repeating: "0", count: 6 - us.count) + us }
        return prefix + us + "Z"
    }

    static func formatUncached(seconds: Int, micros: Int) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secs = seconds - days * 86400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2)).\(pad(micros, 6))Z"
    }
}
