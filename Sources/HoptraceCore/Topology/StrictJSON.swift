import Foundation

/// The JSON Foundation's JSONSerialization accepted, checked in one pass before JSONDecoder
/// reads `ip -j` output. JSONSerialization read hoptrace's topology until JSONDecoder took over,
/// and it refused a document for one malformed value anywhere in it. JSONDecoder checks a
/// string's escapes and a number's digits only when it decodes that field, so a recording with a
/// broken value in a field hoptrace never reads would now be taken. With this pass the same
/// documents are refused as before:
/// - the top level is a list or an object (JSONSerialization took no bare value unasked);
/// - no string holds a raw control byte or an escape RFC 8259 lacks, and a `\uD800`…`\uDBFF`
///   escape is followed by its low surrogate's (a low surrogate alone is refused too);
/// - every number follows RFC 8259's grammar (`01`, `1.`, `-` are refused) and is one
///   JSONSerialization could hold: a finite Double, or a Decimal for a long mantissa (`1e400` is refused).
/// The structure (brackets, commas, colons, literals, trailing commas allowed) is JSONDecoder's
/// scanner's to check, and it checks it as JSONSerialization did. Strings are valid UTF-8 once
/// `IPJSONRepair` has run. Output that starts like UTF-16 or UTF-32 (a zero byte or a byte-order
/// mark in its first two bytes; iproute2 writes none) is left to JSONDecoder, which converts it.
enum StrictJSON {
    static func accepts(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        if count >= 2 {
            switch (bytes[0], bytes[1]) {
            case (0, _), (_, 0), (0xFF, 0xFE), (0xFE, 0xFF): return true
            default: break
            }
        }
        var i = 0
        // JSONSerialization skipped a UTF-8 byte-order mark, in a document of four bytes or more.
        if count >= 4, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        while i < count, isWhitespace(bytes[i]) { i += 1 }
        guard i < count, bytes[i] == UInt8(ascii: "[") || bytes[i] == UInt8(ascii: "{") else { return false }
        while i < count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                guard let end = stringEnd(bytes, contentStart: i + 1) else { return false }
                i = end
            } else if byte == UInt8(ascii: "-") || isDigit(byte) {
                // Outside strings only numbers hold these bytes; the token is the longest run of
                // number bytes, and structure after it is the scanner's to judge.
                var end = i + 1
                while end < count, isNumberByte(bytes[end]) { end += 1 }
                guard isNumber(UnsafeRawBufferPointer(rebasing: bytes[i..<end])) else { return false }
                i = end
            } else {
                i += 1
            }
        }
        return true
    }

    /// The index after the closing quote of the string whose content starts at `contentStart`;
    /// nil when the string holds a raw control byte or a refused escape, or never ends.
    private static func stringEnd(_ bytes: UnsafeRawBufferPointer, contentStart: Int) -> Int? {
        var i = contentStart
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                return i + 1
            case 0..<0x20:
                return nil
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { return nil }
                switch bytes[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard let unit = hexUnit(bytes, at: i + 2) else { return nil }
                    i += 6
                    switch unit & 0xFC00 {
                    case 0xD800:
                        // A high surrogate: the next escape must be its low surrogate.
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                              let low = hexUnit(bytes, at: i + 2), low & 0xFC00 == 0xDC00 else { return nil }
                        i += 6
                    case 0xDC00:
                        return nil
                    default:
                        break
                    }
                default:
                    return nil
                }
            default:
                i += 1
            }
        }
        return nil
    }

    /// The UTF-16 code unit spelled by the four hex digits at `i`.
    private static func hexUnit(_ bytes: UnsafeRawBufferPointer, at i: Int) -> UInt16? {
        guard i >= 0, i + 4 <= bytes.count else { return nil }
        var unit: UInt16 = 0
        for byte in bytes[i..<(i + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// Whether `token` is an RFC 8259 number JSONSerialization could hold.
    private static func isNumber(_ token: UnsafeRawBufferPointer) -> Bool {
        guard followsGrammar(token) else { return false }
        // An integer of 16 characters at most is a finite Double: no String is made for it.
        let isShortInteger = token.count <= 16
            && !token.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        return isShortInteger || isRepresentable(String(decoding: token, as: UTF8.self))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, all of `token`.
    private static func followsGrammar(_ token: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < token.count, isDigit(token[i]) { i += 1 }
            return i - start
        }
        if i < token.count, token[i] == UInt8(ascii: "-") { i += 1 }
        guard i < token.count, isDigit(token[i]) else { return false }
        if token[i] == UInt8(ascii: "0") { i += 1 } else { _ = digits() }
        if i < token.count, token[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < token.count, token[i] == UInt8(ascii: "e") || token[i] == UInt8(ascii: "E") {
            i += 1
            if i < token.count, token[i] == UInt8(ascii: "+") || token[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == token.count
    }

    /// What JSONSerialization's number conversion (NSNumber.fromJSONNumber) took: an Int64 or
    /// UInt64 (always finite as a Double), a Decimal when the text before a lowercase `e` is
    /// longer than 17 characters and that exponent lies in -128...127, else a finite Double.
    private static func isRepresentable(_ number: String) -> Bool {
        if let double = Double(number), double.isFinite { return true }
        let mantissa = number.prefix { $0 != "e" }
        let exponent = number.firstIndex(of: "e").flatMap { Int(number[number.index(after: $0)...]) } ?? 0
        guard mantissa.count > 17, (-128...127).contains(exponent), let decimal = Decimal(string: number) else { return false }
        return decimal.isFinite
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"),
             UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default:
            false
        }
    }
}
