import Synchronization

/// Builds one NDJSON object by hand: field order is stable and nothing on the
/// hot path goes through Foundation. UTF-8 bytes, appended in place: nested objects
/// are written into their parent's bytes (`addObject`), and a line can be written straight
/// onto the end of an output buffer (`init(appendingTo:)`), so a packet line under a flood
/// is built once, where it is sent from, with no copy and no allocation of its own.
public struct JSONLine {
    /// The object so far: `{` at `start`, then the members (the closing brace is added when taken).
    private var bytes: [UInt8]
    private let start: Int
    private var empty = true

    public init() {
        bytes = [0x7B]
        start = 0
    }

    /// A line expected to hold about `capacity` bytes: one allocation instead of growing.
    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(0x7B)
        start = 0
    }

    /// An object written onto the end of `buffer`, which it holds (left empty) until
    /// `endLine(into:)` hands it back with the line appended.
    public init(appendingTo buffer: inout [UInt8]) {
        bytes = []
        swap(&bytes, &buffer)
        start = bytes.count
        bytes.append(0x7B)
    }

    /// Closes the line (`}` and a newline) and hands the buffer back to `buffer`.
    public mutating func endLine(into buffer: inout [UInt8]) {
        bytes.append(0x7D)
        bytes.append(0x0A)
        swap(&bytes, &buffer)
    }

    public mutating func add(_ key: StaticString, _ value: String) {
        open(key)
        Self.appendQuoted(value, to: &bytes)
    }
    /// A string of hoptrace's own (a literal: plain ASCII, nothing to escape).
    public mutating func add(_ key: StaticString, literal value: StaticString) {
        open(key)
        bytes.append(0x22)
        Self.append(value, to: &bytes)
        bytes.append(0x22)
    }
    public mutating func add(_ key: StaticString, _ value: Int) {
        open(key)
        Self.appendDecimal(value, to: &bytes)
    }
    /// An address as its `description` writes it; an IPv4 one straight into the line.
    public mutating func add(_ key: StaticString, _ address: IPAddress) {
        guard case .v4(let a) = address else { return add(key, address.description) }
        open(key)
        bytes.append(0x22)
        Self.appendDecimal(Int(a.raw >> 24), to: &bytes)
        bytes.append(0x2E)
        Self.appendDecimal(Int((a.raw >> 16) & 0xFF), to: &bytes)
        bytes.append(0x2E)
        Self.appendDecimal(Int((a.raw >> 8) & 0xFF), to: &bytes)
        bytes.append(0x2E)
        Self.appendDecimal(Int(a.raw & 0xFF), to: &bytes)
        bytes.append(0x22)
    }

    /// An RFC 3339 time, as `RFC3339.format` writes it, straight into the line.
    public mutating func addTime(_ key: StaticString, seconds: Int, micros: Int) {
        open(key)
        bytes.append(0x22)
        RFC3339.append(seconds: seconds, micros: micros, to: &bytes)
        bytes.append(0x22)
    }
    /// Unsigned decimal: a kernel counter may pass Int.max, and through Int it would print negative.
    public mutating func add(_ key: StaticString, _ value: UInt64) {
        open(key)
        bytes.append(contentsOf: String(value).utf8)
    }
    public mutating func add(_ key: StaticString, _ value: Bool) {
        open(key)
        Self.append(value ? "true" : "false", to: &bytes)
    }
    public mutating func add(_ key: StaticString, _ value: [String]) {
        open(key)
        bytes.append(0x5B)
        for (i, v) in value.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            Self.appendQuoted(v, to: &bytes)
        }
        bytes.append(0x5D)
    }
    public mutating func add(_ key: StaticString, _ object: JSONLine) {
        open(key)
        object.appendObject(to: &bytes)
    }
    /// An object written in place (no line of its own to copy in).
    public mutating func addObject(_ key: StaticString, _ build: (inout JSONLine) -> Void) {
        open(key)
        var nested = JSONLine(appendingTo: &bytes)
        build(&nested)
        nested.bytes.append(0x7D)
        swap(&nested.bytes, &bytes)
    }
    /// An array of objects.
    public mutating func add(_ key: StaticString, _ objects: [JSONLine]) {
        open(key)
        bytes.append(0x5B)
        for (i, o) in objects.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            o.appendObject(to: &bytes)
        }
        bytes.append(0x5D)
    }
    public mutating func addNull(_ key: StaticString) {
        open(key)
        Self.append("null", to: &bytes)
    }
    /// `raw` must already be JSON (an array built from JSONLine texts).
    public mutating func addRaw(_ key: StaticString, _ raw: String) {
        open(key)
        bytes.append(contentsOf: raw.utf8)
    }

    /// Keys are string literals in hoptrace's own code: plain ASCII, never escaped.
    private mutating func open(_ key: StaticString) {
        if empty { empty = false } else { bytes.append(0x2C) }
        bytes.append(0x22)
        Self.append(key, to: &bytes)
        bytes.append(0x22)
        bytes.append(0x3A)
    }

    @inline(__always) private static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private func appendObject(to out: inout [UInt8]) {
        out.append(contentsOf: bytes[start...])
        out.append(0x7D)
    }

    /// `{…}` and a newline, appended to `out`: how `LineWriter` takes a line without a String
    /// in between. The bytes are safe for a terminal as they are (`appendQuoted` escapes
    /// everything `TerminalText` would; keys are hoptrace's own literals).
    public func appendLine(to out: inout [UInt8]) {
        appendObject(to: &out)
        out.append(0x0A)
    }

    /// Decimal digits of `v` (a minus sign first when negative), without a String.
    static func appendDecimal(_ v: Int, to out: inout [UInt8]) {
        // Most numbers in a packet line (ttl, lengths, address bytes, ports) are short.
        if v >= 0 && v < 10 {
            out.append(48 + UInt8(v))
            return
        }
        if v < 0 { out.append(0x2D) }
        var m = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 20
            repeat {
                n -= 1
                digits[n] = 48 + UInt8(m % 10)
                m /= 10
            } while m > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n...]))
        }
    }

    public var text: String {
        let body = bytes[start...]
        return String(unsafeUninitializedCapacity: body.count + 1) { buf in
            _ = UnsafeMutableBufferPointer(rebasing: buf[0..<body.count]).initialize(from: body)
            buf[body.count] = 0x7D
            return body.count + 1
        }
    }

    /// RFC 8259 string escaping; anything below 0x20 becomes \u00XX, and so does every
    /// other character `TerminalText` escapes (DEL, C1 controls, bidi controls: `\u009b`,
    /// `\u202e`), which JSON allows: NDJSON read on a terminal (`--json` without a pipe,
    /// `less`, `tail -f`) shows them instead of obeying them, and parses to the same string.
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        // Most values (addresses, names, times) need no escaping: one scan, one copy. A lead
        // byte C2 or E2 may start a C1 or bidi control: such a value takes the slow path.
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xC2 || b == 0xE2 { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain == true {
            out.append(0x22)
            return
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for u in s.unicodeScalars {
            switch u.value {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case _ where TerminalText.isUnsafe(u):
                let v = Int(u.value)  // at most 0x2069: four hex digits
                out.append(contentsOf: [0x5C, 0x75, hex[v >> 12 & 0xF], hex[v >> 8 & 0xF], hex[v >> 4 & 0xF], hex[v & 0xF]])
            default: out.append(contentsOf: u.utf8)
            }
        }
        out.append(0x22)
    }
}

/// RFC 3339 UTC with microseconds: 2026-11-23T12:53:11.021755Z.
public enum RFC3339 {
    /// The date-and-seconds part of the last second formatted: consecutive events
    /// mostly share it, so only the microseconds are new text.
    /// Behind a lock: the event loop is the only writer in the tool, but tests format in parallel.
    static let cache = Mutex<(second: Int, prefix: [UInt8])>((Int.min, []))

    /// Total for any input: seconds clamp to what an EventTime can hold (about ±73,000
    /// years, where the date arithmetic below cannot overflow; years past 9999 print
    /// with more digits), so a hostile time prints oddly rather than trapping.
    public static func format(seconds: Int, micros: Int) -> String {
        var out: [UInt8] = []
        append(seconds: seconds, micros: micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format`'s bytes appended to `out` (JSONLine's times: no String per line).
    static func append(seconds: Int, micros: Int, to out: inout [UInt8]) {
        let seconds = clamped(seconds)
        cache.withLock { c in
            if c.second != seconds { c = (seconds, Array(formatUncached(seconds: seconds, micros: 0).dropLast(7).utf8)) }
            out.append(contentsOf: c.prefix)
        }
        if micros >= 0 && micros < 1_000_000 {
            var m = micros
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { digits in
                for i in stride(from: 5, through: 0, by: -1) {
                    digits[i] = 48 + UInt8(m % 10)
                    m /= 10
                }
                out.append(contentsOf: UnsafeBufferPointer(digits))
            }
        } else {
            // Out of range (only a hostile recording's): printed as it is, padded to 6.
            var us = String(micros)
            if us.count < 6 { us = String(repeating: "0", count: 6 - us.count) + us }
            out.append(contentsOf: us.utf8)
        }
        out.append(0x5A)
    }

    /// EventTime's range in whole seconds: `limit` µs floored, either way.
    static func clamped(_ seconds: Int) -> Int {
        let bound = Int(EventTime.limit / 1_000_000)
        return min(max(seconds, -bound - 1), bound)
    }

    static func formatUncached(seconds: Int, micros: Int) -> String {
        let seconds = clamped(seconds)
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
