import Synchronization

/// Builds one NDJSON object by hand: field order is stable and nothing on the
/// hot path goes through Foundation. UTF-8 bytes in a `ByteBuffer`: room is made once per
/// member and the bytes stored through a pointer; nested objects are written into their
/// parent's bytes (`addObject`), and a packet line straight onto the end of the output
/// (`init(appendingTo:)`), so under a flood a line is built once, where it is sent from.
///
/// The small `add`s are inlined (`@inline(__always)`): a key is then a constant where it is
/// written, and its bytes are stored without a loop over its length.
public struct JSONLine {
    /// The object so far: `{` at `start`, then the members (the closing brace is added when taken).
    private var out: ByteBuffer
    private let start: Int
    /// Written onto a buffer someone else holds (`init(appendingTo:)`): changed in place, never copied.
    private let inPlace: Bool
    private var empty = true

    public init() { self.init(capacity: 64) }

    /// A line expected to hold about `capacity` bytes: one allocation instead of growing.
    public init(capacity: Int) {
        out = ByteBuffer(capacity: capacity)
        start = 0
        inPlace = false
        out.append(0x7B)
    }

    /// An object written onto the end of `buffer`: end it with `endLine()`, and do not copy it meanwhile.
    public init(appendingTo buffer: ByteBuffer) {
        out = buffer
        start = buffer.count
        inPlace = true
        out.append(0x7B)
    }

    /// Closes a line begun with `init(appendingTo:)`: `}` and a newline.
    public func endLine() {
        out.reserve(2)
        out.put(0x7D)
        out.put(0x0A)
    }

    @inline(__always)
    public mutating func add(_ key: StaticString, _ value: String) {
        open(key, room: 0)
        Self.appendQuoted(value, to: out)
    }
    /// A string of hoptrace's own (a literal: plain ASCII, nothing to escape).
    @inline(__always)
    public mutating func add(_ key: StaticString, literal value: StaticString) {
        open(key, room: value.utf8CodeUnitCount + 2)
        out.put(0x22)
        out.put(value.utf8Start, value.utf8CodeUnitCount)
        out.put(0x22)
    }
    @inline(__always)
    public mutating func add(_ key: StaticString, _ value: Int) {
        open(key, room: 20)
        Self.putDecimal(value, to: out)
    }
    /// An address as its `description` writes it; an IPv4 one straight into the line.
    @inline(__always)
    public mutating func add(_ key: StaticString, _ address: IPAddress) {
        guard case .v4(let a) = address else { return addText(key, address.description) }
        open(key, room: 17)
        var q = out.end
        q.pointee = 0x22
        q = Self.putOctet(a.raw >> 24, at: q + 1)
        q.pointee = 0x2E
        q = Self.putOctet((a.raw >> 16) & 0xFF, at: q + 1)
        q.pointee = 0x2E
        q = Self.putOctet((a.raw >> 8) & 0xFF, at: q + 1)
        q.pointee = 0x2E
        q = Self.putOctet(a.raw & 0xFF, at: q + 1)
        q.pointee = 0x22
        out.skip(q + 1 - out.end)
    }

    /// `add(_:_: String)` kept out of line, for the rare callers of the inlined ones (an IPv6 address).
    private mutating func addText(_ key: StaticString, _ value: String) { add(key, value) }

    /// The decimal digits of `v` (0–255) at `q`; returns the byte after them.
    @inline(__always) static func putOctet(_ v: UInt32, at q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        if v >= 100 {
            q[0] = 48 + UInt8(truncatingIfNeeded: v / 100)
            q[1] = 48 + UInt8(truncatingIfNeeded: v / 10 % 10)
            q[2] = 48 + UInt8(truncatingIfNeeded: v % 10)
            return q + 3
        }
        if v >= 10 {
            q[0] = 48 + UInt8(truncatingIfNeeded: v / 10)
            q[1] = 48 + UInt8(truncatingIfNeeded: v % 10)
            return q + 2
        }
        q[0] = 48 + UInt8(truncatingIfNeeded: v)
        return q + 1
    }

    /// An RFC 3339 time, as `RFC3339.format` writes it, straight into the line.
    @inline(__always)
    public mutating func addTime(_ key: StaticString, seconds: Int, micros: Int) {
        open(key, room: 1)
        out.put(0x22)
        RFC3339.append(seconds: seconds, micros: micros, to: out)
        out.append(0x22)
    }
    /// Unsigned decimal: a kernel counter may pass Int.max, and through Int it would print negative.
    public mutating func add(_ key: StaticString, _ value: UInt64) {
        open(key, room: 0)
        out.append(contentsOf: String(value).utf8)
    }
    @inline(__always)
    public mutating func add(_ key: StaticString, _ value: Bool) {
        open(key, room: 5)
        let word: StaticString = value ? "true" : "false"
        out.put(word.utf8Start, word.utf8CodeUnitCount)
    }
    public mutating func add(_ key: StaticString, _ value: [String]) {
        open(key, room: 1)
        out.put(0x5B)
        for (i, v) in value.enumerated() {
            if i > 0 { out.append(0x2C) }
            Self.appendQuoted(v, to: out)
        }
        out.append(0x5D)
    }
    public mutating func add(_ key: StaticString, _ object: JSONLine) {
        open(key, room: 0)
        object.appendObject(to: out)
    }
    /// An object written in place (no line of its own to copy in).
    public mutating func addObject(_ key: StaticString, _ build: (inout JSONLine) -> Void) {
        open(key, room: 0)
        var nested = JSONLine(appendingTo: out)
        build(&nested)
        out.append(0x7D)
    }
    /// An array of objects.
    public mutating func add(_ key: StaticString, _ objects: [JSONLine]) {
        open(key, room: 1)
        out.put(0x5B)
        for (i, o) in objects.enumerated() {
            if i > 0 { out.append(0x2C) }
            o.appendObject(to: out)
        }
        out.append(0x5D)
    }
    @inline(__always)
    public mutating func addNull(_ key: StaticString) {
        open(key, room: 4)
        let null: StaticString = "null"
        out.put(null.utf8Start, 4)
    }
    /// `raw` must already be JSON (an array built from JSONLine texts).
    public mutating func addRaw(_ key: StaticString, _ raw: String) {
        open(key, room: 0)
        out.append(contentsOf: raw.utf8)
    }
    /// A value already JSON, as bytes (a capture point's quoted names).
    @inline(__always)
    mutating func addRaw(_ key: StaticString, bytes raw: [UInt8]) {
        open(key, room: raw.count)
        raw.withUnsafeBufferPointer { b in
            if let p = b.baseAddress { out.put(p, b.count) }
        }
    }

    /// `,"key":` with room for `room` bytes of value after it. Keys are string literals in
    /// hoptrace's own code: plain ASCII, never escaped. A shared buffer is copied first.
    /// Inlined: each call site's key is a constant, and its bytes go through one local pointer.
    @inline(__always) private mutating func open(_ key: StaticString, room: Int) {
        if !inPlace && !isKnownUniquelyReferenced(&out) { out = out.copy(from: start) }
        let n = key.utf8CodeUnitCount
        out.reserve(n + 4 + room)
        var q = out.end
        if empty {
            empty = false
        } else {
            q.pointee = 0x2C
            q += 1
        }
        q[0] = 0x22
        ByteBuffer.copy(key.utf8Start, n, to: q + 1)
        q[n + 1] = 0x22
        q[n + 2] = 0x3A
        out.skip(q + n + 3 - out.end)
    }

    private func appendObject(to other: ByteBuffer) {
        other.append(out.base + start, out.count - start)
        other.append(0x7D)
    }

    /// `{…}` and a newline, appended to `other`: how `LineWriter` takes a line without a String
    /// in between. The bytes are safe for a terminal as they are (`appendQuoted` escapes
    /// everything `TerminalText` would; keys are hoptrace's own literals).
    public func appendLine(to other: ByteBuffer) {
        appendObject(to: other)
        other.append(0x0A)
    }

    /// Decimal digits of `v` (a minus sign first when negative), into room for 20 made before.
    @inline(__always) static func putDecimal(_ v: Int, to out: ByteBuffer) {
        let q = out.end
        // Most numbers in a packet line (ttl, lengths, address bytes, ports) are short.
        if v >= 0 && v < 10 {
            q.pointee = 48 + UInt8(v)
            out.skip(1)
            return
        }
        let sign = v < 0 ? 1 : 0
        if v < 0 { q.pointee = 0x2D }
        var m = v.magnitude
        var digits = 1
        var p: UInt = 10
        while digits < 20 && m >= p {
            digits += 1
            (p, _) = p.multipliedReportingOverflow(by: 10)
        }
        var i = sign + digits - 1
        while i >= sign {
            q[i] = 48 + UInt8(m % 10)
            m /= 10
            i -= 1
        }
        out.skip(sign + digits)
    }

    public var text: String {
        let n = out.count - start
        return String(unsafeUninitializedCapacity: n + 1) { buf in
            _ = UnsafeMutableBufferPointer(rebasing: buf[0..<n]).initialize(from: UnsafeBufferPointer(start: out.base + start, count: n))
            buf[n] = 0x7D
            return n + 1
        }
    }

    /// RFC 8259 string escaping; anything below 0x20 becomes \u00XX, and so does every
    /// other character `TerminalText` escapes (DEL, C1 controls, bidi controls: `\u009b`,
    /// `\u202e`), which JSON allows: NDJSON read on a terminal (`--json` without a pipe,
    /// `less`, `tail -f`) shows them instead of obeying them, and parses to the same string.
    public static func quote(_ s: String) -> String {
        let out = ByteBuffer()
        appendQuoted(s, to: out)
        return String(decoding: UnsafeBufferPointer(start: out.base, count: out.count), as: UTF8.self)
    }

    static func appendQuoted(_ s: String, to out: ByteBuffer) {
        // Most values (addresses, names, times) need no escaping. A lead byte C2 or E2 may
        // start a C1 or bidi control: such a value takes the slow path.
        // Scanned and copied in one pass; the bytes count only once the whole value was plain.
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            let n = bytes.count
            out.reserve(n + 2)
            let q = out.end
            q[0] = 0x22
            for (i, b) in bytes.enumerated() {
                if b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xC2 || b == 0xE2 { return false }
                q[i + 1] = b
            }
            q[n + 1] = 0x22
            out.skip(n + 2)
            return true
        }
        if plain == true { return }
        out.append(0x22)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        func add(_ bytes: [UInt8]) { out.append(contentsOf: bytes) }
        for u in s.unicodeScalars {
            switch u.value {
            case 0x22: add([0x5C, 0x22])
            case 0x5C: add([0x5C, 0x5C])
            case 0x0A: add([0x5C, 0x6E])
            case 0x09: add([0x5C, 0x74])
            case 0x0D: add([0x5C, 0x72])
            case _ where TerminalText.isUnsafe(u):
                let v = Int(u.value)  // at most 0x2069: four hex digits
                add([0x5C, 0x75, hex[v >> 12 & 0xF], hex[v >> 8 & 0xF], hex[v >> 4 & 0xF], hex[v & 0xF]])
            default: for b in u.utf8 { out.append(b) }
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
        let out = ByteBuffer()
        append(seconds: seconds, micros: micros, to: out)
        return String(decoding: UnsafeBufferPointer(start: out.base, count: out.count), as: UTF8.self)
    }

    /// `format`'s bytes appended to `out` (JSONLine's times: no String per line).
    static func append(seconds: Int, micros: Int, to out: ByteBuffer) {
        let seconds = clamped(seconds)
        cache.withLock { c in
            if c.second != seconds { c = (seconds, Array(formatUncached(seconds: seconds, micros: 0).dropLast(7).utf8)) }
            out.append(contentsOf: c.prefix)
        }
        if micros >= 0 && micros < 1_000_000 {
            out.reserve(7)
            let q = out.end
            var m = micros
            for i in stride(from: 5, through: 0, by: -1) {
                q[i] = 48 + UInt8(m % 10)
                m /= 10
            }
            q[6] = 0x5A
            out.skip(7)
        } else {
            // Out of range (only a hostile recording's): printed as it is, padded to 6.
            var us = String(micros)
            if us.count < 6 { us = String(repeating: "0", count: 6 - us.count) + us }
            out.append(contentsOf: us.utf8)
            out.append(0x5A)
        }
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
