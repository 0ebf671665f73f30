import Foundation

/// Makes `ip -j` output parseable when iproute2 wrote a string it cannot encode.
/// iproute2's JSON writer (lib/json_writer.c) escapes only `"`, `\` and \b \f \n \r \t and
/// copies every other byte as it is. An interface name may be any bytes but '/', ':' and
/// whitespace, so a container can name a link `ev<ESC>[31m` or give it bytes that are not
/// UTF-8, and an `ifalias` can be anything. One such string makes the whole output invalid
/// JSON, the decoder refuses it, and the namespace would lose its topology (and with it
/// every "vanished" verdict for its flows).
///
/// Inside a string, and only there:
/// - a raw byte below 0x20 becomes `\u00XX`. It is valid UTF-8, so the parsed name is the
///   very String the kernel's bytes spell: it still matches `-i NS:NAME` and pcap's names.
/// - an ill-formed UTF-8 sequence becomes `\ufffd`, one per maximal subpart, the way
///   `String(decoding:as:)` and `String(cString:)` repair it: the same bytes from
///   `pcap_findalldevs` or the command line give the same String.
/// Everything else, and every byte outside strings, is left alone: JSON broken in another
/// way stays broken, and the parser says where.
///
/// Strings' extents are not changed (quotes and backslash escapes are tracked exactly as
/// `JSONExtent` tracks them), so the structure `JSONExtent` measured on the raw bytes is the
/// structure the decoder reads. One pass; valid output is returned as it is, without a
/// copy. A repaired copy is at most six times the input (`\u001b` for one byte).
public enum IPJSONRepair {
    public static func repaired(_ data: Data) -> Data {
        data.withUnsafeBytes { bytes in
            var writer = Writer(bytes)
            writer.run()
            return writer.touched ? Data(writer.out) : data
        }
    }

    /// The pass: `out` is allocated at the first defect and then receives the input in spans
    /// between replacements, so the copy is linear in the input.
    private struct Writer {
        let bytes: UnsafeRawBufferPointer
        var out: [UInt8] = []
        var touched = false
        /// `bytes[..<copied]` is in `out` (once `touched`).
        var copied = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        static let hex = Array("0123456789abcdef".utf8)
        static let replacementCharacter = Array(#"\ufffd"#.utf8)

        mutating func run() {
            var i = 0, inString = false
            while i < bytes.count {
                let byte = bytes[i]
                guard inString else {
                    if byte == Self.quote { inString = true }
                    i += 1
                    continue
                }
                switch byte {
                case Self.quote:
                    inString = false
                    i += 1
                case Self.backslash:
                    // The escaped byte is taken as it is: iproute2 writes only valid escapes.
                    i += 2
                case 0..<0x20:
                    replace(i..<(i + 1), with: [Self.backslash, UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
                    i += 1
                case 0x80...:
                    let (length, valid) = scalar(at: i)
                    if !valid { replace(i..<(i + length), with: Self.replacementCharacter) }
                    i += length
                default:
                    i += 1
                }
            }
            if touched { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[copied...])) }
        }

        /// The UTF-8 scalar starting at `i`: its length, or the length of the maximal ill-formed
        /// subpart that one U+FFFD stands for (the standard library's own rule).
        func scalar(at i: Int) -> (length: Int, valid: Bool) {
            var parser = Unicode.UTF8.ForwardParser()
            var input = UnsafeRawBufferPointer(rebasing: bytes[i...]).makeIterator()
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded): return (encoded.count, true)
            case .error(let length): return (length, false)
            case .emptyInput: return (1, false)  // not reached: `i` is inside `bytes`
            }
        }

        mutating func replace(_ range: Range<Int>, with replacement: [UInt8]) {
            if !touched {
                touched = true
                out.reserveCapacity(bytes.count + bytes.count / 8)
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[copied..<range.lowerBound]))
            out.append(contentsOf: replacement)
            copied = range.upperBound
        }
    }
}
