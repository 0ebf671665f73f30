/// One HTTP/1.1 response read from bytes (RFC 9112: status line, field lines, and a body framed by
/// Content-Length, by `Transfer-Encoding: chunked`, or by the connection's end). Written for the
/// container engine's unix socket, which hoptrace asks with `Connection: close` (`HTTPRequest`).
///
/// The socket may belong to anything (a stale path, another daemon, a hostile one), so the bytes
/// may be anything: the head is at most `headerLimit` bytes, the body at most what the caller
/// allows, the chunk framing at most those two together; nothing is trusted to be complete, and
/// every failure is an `HTTPResponseError` a user can read. Lines end in CRLF; a bare LF or CR in
/// the head is refused (RFC 9112 §2.2 allows that), as is obsolete line folding (§5.2).
public struct HTTPResponse: Sendable, Hashable {
    /// 200, 404…
    public let status: Int
    /// "OK", "Not Found"; as sent (it may be empty).
    public let reason: String
    /// In the order sent; `header(_:)` looks one up.
    public let headers: [HTTPHeader]
    public let body: [UInt8]

    /// The status line and field lines together, their final empty line included.
    public static let headerLimit = 64 << 10
    /// One chunk-size line, extensions included.
    static let chunkLineLimit = 4096

    public init(status: Int, reason: String, headers: [HTTPHeader], body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first field named `name`, compared without case (field names are ASCII tokens).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The response `bytes` hold, once they hold all of it. `atEOF`: the peer closed the
    /// connection, so nothing more will come. nil means "read more" (never at EOF).
    /// Throws as soon as the bytes cannot become a valid response, or would exceed a limit: a
    /// reader can call this after every read and stop early.
    public static func parse(_ bytes: [UInt8], bodyLimit: Int, atEOF: Bool) throws(HTTPResponseError) -> HTTPResponse? {
        var start = 0
        while true {
            guard let head = try HTTPHead.parse(bytes, from: start, atEOF: atEOF) else { return nil }
            // 1xx (100 Continue) come before the real response and carry no body; 101 would
            // switch protocols, which hoptrace never asks for: it ends the exchange.
            if (100..<200).contains(head.status), head.status != 101 {
                start = head.end
                continue
            }
            let body: [UInt8]
            switch try head.framing() {
            case .none:
                body = []
            case .length(let n):
                guard n <= bodyLimit else { throw .bodyTooLarge(limit: bodyLimit) }
                let available = bytes.count - head.end
                guard available >= n else {
                    if atEOF { throw .truncated("in the body (\(available) of \(n) bytes)") }
                    return nil
                }
                body = Array(bytes[head.end..<(head.end + n)])
            case .chunked:
                guard let decoded = try HTTPChunkedBody.decode(bytes, from: head.end, bodyLimit: bodyLimit, atEOF: atEOF) else { return nil }
                body = decoded
            case .untilClose:
                guard bytes.count - head.end <= bodyLimit else { throw .bodyTooLarge(limit: bodyLimit) }
                guard atEOF else { return nil }
                body = Array(bytes[head.end...])
            }
            return HTTPResponse(status: head.status, reason: head.reason, headers: head.headers, body: body)
        }
    }
}

/// One field line, as sent (the value without its surrounding spaces).
public struct HTTPHeader: Sendable, Hashable {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Why bytes are not (yet) an HTTP response. Each case reads as a sentence; quoted text from the
/// peer is cut short here, and escaped by whoever prints it (`TerminalText`).
public enum HTTPResponseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection closed before a single byte.
    case empty
    /// The connection closed mid-response; where.
    case truncated(String)
    /// The first line is not `HTTP/1.x NNN reason`: the peer does not speak HTTP/1.
    case malformedStatusLine(String)
    case malformedHeader(String)
    case badContentLength(String)
    /// A coding other than chunked: hoptrace asks for none (no Accept-Encoding).
    case unsupportedTransferEncoding(String)
    case badChunkSize(String)
    /// Chunk data not followed by CRLF, or a trailer line that is no line.
    case malformedChunk(String)
    case headerTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    /// Chunk-size lines and trailers, beyond what a body of the limit would need.
    case chunkFramingTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .empty: "the connection closed without an answer"
        case .truncated(let place): "the answer ended early, \(place)"
        case .malformedStatusLine(let line): "the answer is not HTTP/1 (it starts \"\(line)\")"
        case .malformedHeader(let line): "malformed header line \"\(line)\""
        case .badContentLength(let value): "invalid Content-Length \"\(value)\""
        case .unsupportedTransferEncoding(let value): "unsupported Transfer-Encoding \"\(value)\""
        case .badChunkSize(let line): "invalid chunk size line \"\(line)\""
        case .malformedChunk(let detail): "malformed chunked body: \(detail)"
        case .headerTooLarge(let limit): "the header is longer than \(Self.size(limit)), the most hoptrace reads"
        case .bodyTooLarge(let limit): "the body is larger than \(Self.size(limit)), the most hoptrace reads"
        case .chunkFramingTooLarge(let limit): "the chunked body's framing is larger than \(Self.size(limit))"
        }
    }

    /// "8 MiB", "64 KiB", "1000 bytes".
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// Peer text for a message: at most 80 bytes of it, decoded leniently.
    static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        let cut = bytes.prefix(80)
        return String(decoding: cut, as: UTF8.self) + (bytes.count > cut.count ? "…" : "")
    }
}

/// The request hoptrace sends: `GET PATH HTTP/1.1` with `Host: docker` (the engines ignore the
/// host on a unix socket; the docker CLI sent this one for years) and `Connection: close`, so a
/// body without a length ends with the connection and no connection is reused.
public enum HTTPRequest {
    /// The path may hold only visible ASCII (percent-encode the rest): a CR, LF or space in it
    /// would end the request line early and let the text after it add lines of its own.
    public static func get(_ path: String) throws(HTTPRequestError) -> [UInt8] {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.count <= 8192,
              bytes.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "#") })
        else { throw .invalidPath(path) }
        return Array("GET ".utf8) + bytes + Array(" HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".utf8)
    }
}

public enum HTTPRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidPath(String)

    public var description: String {
        switch self {
        case .invalidPath(let path):
            "invalid request path \"\(String(path.prefix(80)))\": it must start with / and hold only visible ASCII (no spaces, CR, LF or #)"
        }
    }
}

// MARK: - The head

/// The status line and fields of one response, and where its body starts.
private struct HTTPHead {
    var status: Int
    var reason: String
    var headers: [HTTPHeader]
    /// The index after the empty line that ends the head.
    var end: Int

    enum Framing { case none, length(Int), chunked, untilClose }

    private static let crlf: [UInt8] = [13, 10]

    /// The head starting at `start`, once its empty line has arrived within `headerLimit` bytes
    /// of the message's start.
    static func parse(_ bytes: [UInt8], from start: Int, atEOF: Bool) throws(HTTPResponseError) -> HTTPHead? {
        // A peer that is no HTTP server is told apart by its first bytes, not after 64 KiB.
        let prefix = Array("HTTP/".utf8)
        let seen = bytes[start..<min(bytes.count, start + prefix.count)]
        guard seen.elementsEqual(prefix.prefix(seen.count)) else {
            throw .malformedStatusLine(HTTPResponseError.quoted(bytes[start..<HTTPBytes.lineEnd(bytes, from: start)]))
        }
        let window = min(bytes.count, HTTPResponse.headerLimit)
        guard let blank = HTTPBytes.find([13, 10, 13, 10], in: bytes, from: start, before: window) else {
            if bytes.count >= HTTPResponse.headerLimit { throw .headerTooLarge(limit: HTTPResponse.headerLimit) }
            if atEOF { throw bytes.isEmpty ? HTTPResponseError.empty : .truncated("in the header") }
            return nil
        }
        var lines: [ArraySlice<UInt8>] = []
        var i = start
        while i < blank {
            let e = HTTPBytes.find(crlf, in: bytes, from: i, before: blank + 2) ?? blank
            lines.append(bytes[i..<e])
            i = e + 2
        }
        let (status, reason) = try statusLine(lines[0])
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst() { headers.append(try field(line)) }
        return HTTPHead(status: status, reason: reason, headers: headers, end: blank + 4)
    }

    /// `HTTP/1.x NNN reason`; the reason may be absent or empty.
    private static func statusLine(_ line: ArraySlice<UInt8>) throws(HTTPResponseError) -> (Int, String) {
        let b = Array(line)
        func isDigit(_ x: UInt8) -> Bool { x >= UInt8(ascii: "0") && x <= UInt8(ascii: "9") }
        guard b.count >= 12, b[0..<7].elementsEqual("HTTP/1.".utf8), isDigit(b[7]), b[8] == UInt8(ascii: " "),
              isDigit(b[9]), isDigit(b[10]), isDigit(b[11]), b.count == 12 || b[12] == UInt8(ascii: " "),
              !b.contains(where: { HTTPBytes.isControl($0) && $0 != 9 })
        else { throw .malformedStatusLine(HTTPResponseError.quoted(line)) }
        let status = b[9..<12].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard status >= 100 else { throw .malformedStatusLine(HTTPResponseError.quoted(line)) }
        return (status, b.count > 13 ? String(decoding: b[13...], as: UTF8.self) : "")
    }

    /// `name: value`, name a token (RFC 9110 §5.1), value without surrounding spaces or tabs.
    private static func field(_ line: ArraySlice<UInt8>) throws(HTTPResponseError) -> HTTPHeader {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
              line[line.startIndex..<colon].allSatisfy(HTTPBytes.isTokenByte),
              !line[(colon + 1)...].contains(where: { HTTPBytes.isControl($0) && $0 != 9 })
        else { throw .malformedHeader(HTTPResponseError.quoted(line)) }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
        while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
        return HTTPHeader(name: String(decoding: line[line.startIndex..<colon], as: UTF8.self),
                          value: String(decoding: value, as: UTF8.self))
    }

    /// How the body ends (RFC 9112 §6.3): none after 1xx, 204 and 304; chunked when
    /// Transfer-Encoding says so (it overrides Content-Length); else Content-Length; else the
    /// connection's close.
    func framing() throws(HTTPResponseError) -> Framing {
        if (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        let codings = values("transfer-encoding")
        if !codings.isEmpty {
            guard codings.allSatisfy({ $0.lowercased() == "chunked" }), codings.count == 1 else {
                throw .unsupportedTransferEncoding(codings.joined(separator: ", "))
            }
            return .chunked
        }
        let lengths = values("content-length")
        guard let first = lengths.first else { return .untilClose }
        // Several copies are allowed if they agree (RFC 9110 §8.6); 18 digits cannot overflow.
        guard lengths.allSatisfy({ $0 == first }), (1...18).contains(first.utf8.count),
              first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let n = Int(first)
        else { throw .badContentLength(String(lengths.joined(separator: ", ").prefix(80))) }
        return .length(n)
    }

    /// The comma-separated elements of every field named `name` (lowercase), trimmed, empty ones dropped.
    private func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name }.flatMap { header in
            header.value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        }
    }
}

// MARK: - Chunked bodies (RFC 9112 §7.1)

private enum HTTPChunkedBody {
    /// The body the chunks from `start` hold, once the last chunk and trailers have arrived.
    /// One pass checks the framing and the limits (cheap: a step per chunk, so a reader may call
    /// this after every read); the data is copied only when all of it is there.
    static func decode(_ bytes: [UInt8], from start: Int, bodyLimit: Int, atEOF: Bool) throws(HTTPResponseError) -> [UInt8]? {
        // Framing a body of the limit in 4 KiB chunks takes a few bytes a chunk; this allows
        // much more, but not so much that the framing alone fills memory.
        let framingLimit = HTTPResponse.headerLimit + bodyLimit
        var chunks: [Range<Int>] = []
        var total = 0, framing = 0
        var i = start
        func more(_ place: String) throws(HTTPResponseError) -> [UInt8]? {
            if atEOF { throw .truncated(place) }
            return nil
        }
        while true {
            guard let lineEnd = HTTPBytes.find([13, 10], in: bytes, from: i, before: min(bytes.count, i + HTTPResponse.chunkLineLimit + 2)) else {
                if bytes.count - i >= HTTPResponse.chunkLineLimit + 2 {
                    throw .badChunkSize(HTTPResponseError.quoted(bytes[i...]))
                }
                return try more("in a chunk size line (chunk \(chunks.count + 1))")
            }
            let size = try chunkSize(bytes[i..<lineEnd], room: bodyLimit - total, limit: bodyLimit)
            framing += lineEnd + 2 - i
            i = lineEnd + 2
            if size == 0 { break }
            total += size
            guard bytes.count >= i + size + 2 else { return try more("in chunk \(chunks.count + 1)") }
            guard bytes[i + size] == 13, bytes[i + size + 1] == 10 else {
                throw .malformedChunk("chunk \(chunks.count + 1) is not followed by CRLF")
            }
            chunks.append(i..<(i + size))
            i += size + 2
            framing += 2
            guard framing <= framingLimit else { throw .chunkFramingTooLarge(limit: framingLimit) }
        }
        // Trailer fields, then an empty line: read past, never used.
        while true {
            guard let lineEnd = HTTPBytes.find([13, 10], in: bytes, from: i, before: min(bytes.count, i + HTTPResponse.headerLimit + 2)) else {
                if bytes.count - i >= HTTPResponse.headerLimit + 2 { throw .headerTooLarge(limit: HTTPResponse.headerLimit) }
                return try more("in the trailer")
            }
            guard !bytes[i..<lineEnd].contains(where: { HTTPBytes.isControl($0) && $0 != 9 }) else {
                throw .malformedChunk("a trailer line holds a control byte")
            }
            framing += lineEnd + 2 - i
            guard framing <= framingLimit else { throw .chunkFramingTooLarge(limit: framingLimit) }
            if lineEnd == i { break }
            i = lineEnd + 2
        }
        var body: [UInt8] = []
        body.reserveCapacity(total)
        for chunk in chunks { body += bytes[chunk] }
        return body
    }

    /// `HEX[ BWS ; extension…]`: the size, refused past `room` (what `limit` leaves of the body).
    private static func chunkSize(_ line: ArraySlice<UInt8>, room: Int, limit: Int) throws(HTTPResponseError) -> Int {
        var size = 0, digits = 0
        var rest = line[...]
        while let b = rest.first, let v = hexValue(b) {
            // Checked per digit: a long run of digits must not overflow before it is refused.
            guard size <= (room - v) >> 4 || (size == 0 && v == 0) else { throw .bodyTooLarge(limit: limit) }
            size = size << 4 | v
            digits += 1
            rest = rest.dropFirst()
        }
        while let b = rest.first, b == 32 || b == 9 { rest = rest.dropFirst() }
        guard digits > 0, rest.isEmpty || rest.first == UInt8(ascii: ";"), !line.contains(where: { HTTPBytes.isControl($0) && $0 != 9 })
        else { throw .badChunkSize(HTTPResponseError.quoted(line)) }
        guard size <= room else { throw .bodyTooLarge(limit: limit) }
        return size
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}

// MARK: - Bytes

private enum HTTPBytes {
    /// The index where `needle` starts in `bytes[from..<before]`, if it lies wholly inside.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int, before: Int) -> Int? {
        guard from >= 0, !needle.isEmpty else { return nil }
        var i = from
        while i + needle.count <= before {
            if bytes[i] == needle[0] {
                var k = 1
                while k < needle.count, bytes[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Where the line starting at `from` ends (its CR or LF, or the end of what arrived).
    static func lineEnd(_ bytes: [UInt8], from: Int) -> Int {
        var i = from
        while i < bytes.count, bytes[i] != 13, bytes[i] != 10 { i += 1 }
        return i
    }

    /// C0 controls and DEL: none belongs in a head line (tab aside, which callers allow in text).
    static func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
