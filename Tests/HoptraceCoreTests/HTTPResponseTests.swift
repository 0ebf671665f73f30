import HoptraceCore
import Testing

/// The engine's answers are read as HTTP/1.1 from a socket that may hold anything: every framing
/// hoptrace meets (Content-Length, chunked, to the connection's end), and every way bytes fail to
/// be a response, are told apart before a limit is passed, and nothing traps.
@Suite struct HTTPResponseTests {
    static func parse(_ text: String, limit: Int = 1 << 20, atEOF: Bool = true) throws(HTTPResponseError) -> HTTPResponse? {
        try HTTPResponse.parse(Array(text.utf8), bodyLimit: limit, atEOF: atEOF)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// The well-known "Wikipedia in chunks." example, with a chunk extension and a trailer field.
    static let chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"

    // MARK: - Framing

    @Test func aContentLengthBodyEndsAtItsLength() throws {
        let r = try #require(try Self.parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]", atEOF: false))
        #expect(r.status == 200 && r.reason == "OK" && r.isSuccess)
        #expect(r.body == Self.bytes("[]"))
        #expect(r.headers == [HTTPHeader(name: "Content-Type", value: "application/json"), HTTPHeader(name: "Content-Length", value: "2")])
        // Bytes after the length belong to no one (the connection closes after one answer).
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]junk")?.body == Self.bytes("[]"))
    }

    @Test func headersAreFoundWithoutRegardToCase() throws {
        let r = try #require(try Self.parse("HTTP/1.1 404 Not Found\r\ncontent-TYPE:  text/plain \t\r\nContent-Length: 0\r\n\r\n"))
        #expect(r.header("Content-Type") == "text/plain")
        #expect(r.header("CONTENT-LENGTH") == "0")
        #expect(r.header("X-Missing") == nil)
        #expect(r.status == 404 && !r.isSuccess && r.reason == "Not Found")
    }

    @Test func aContentLengthBodyWaitsForItsBytes() throws {
        let partial = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"
        #expect(try Self.parse(partial, atEOF: false) == nil)
        #expect(throws: HTTPResponseError.truncated("in the body (2 of 5 bytes)")) { try Self.parse(partial) }
    }

    @Test func chunksAreJoinedPastExtensionsAndTrailers() throws {
        let r = try #require(try Self.parse(Self.chunked, atEOF: false))
        #expect(r.body == Self.bytes("Wikipedia in\r\n\r\nchunks."))
        #expect(r.header("transfer-encoding") == "chunked")
    }

    @Test func chunkSizesMayBeUppercaseAndZeroPadded() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n000A \t;ext\r\n0123456789\r\n00\r\n\r\n"
        #expect(try Self.parse(text)?.body == Self.bytes("0123456789"))
    }

    @Test func chunkedWinsOverContentLength() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        #expect(try Self.parse(text)?.body == Self.bytes("abc"))
    }

    @Test func everyPrefixOfAChunkedAnswerWaitsOrIsTruncated() throws {
        let all = Self.bytes(Self.chunked)
        for n in 0..<all.count {
            let prefix = Array(all[0..<n])
            #expect(try HTTPResponse.parse(prefix, bodyLimit: 1 << 20, atEOF: false) == nil, "prefix of \(n) bytes")
            #expect(throws: HTTPResponseError.self, "prefix of \(n) bytes at EOF") {
                try HTTPResponse.parse(prefix, bodyLimit: 1 << 20, atEOF: true)
            }
        }
    }

    @Test func withoutALengthTheBodyEndsWithTheConnection() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}"
        #expect(try Self.parse(text, atEOF: false) == nil)
        #expect(try Self.parse(text)?.body == Self.bytes("{\"a\":1}"))
        #expect(try Self.parse("HTTP/1.1 200 OK\r\n\r\n")?.body == [])
    }

    @Test func noContentHasNoBodyWhateverFollows() throws {
        #expect(try Self.parse("HTTP/1.1 204 No Content\r\n\r\n", atEOF: false)?.body == [])
        #expect(try Self.parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", atEOF: false)?.status == 304)
    }

    @Test func interimAnswersAreSkipped() throws {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let r = try #require(try Self.parse(text))
        #expect(r.status == 200 && r.body == Self.bytes("ok"))
        #expect(try Self.parse("HTTP/1.1 100 Continue\r\n\r\n", atEOF: false) == nil)
        #expect(throws: HTTPResponseError.truncated("in the header")) { try Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2") }
    }

    @Test func aStatusLineMayHaveNoReason() throws {
        let r = try #require(try Self.parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"))
        #expect(r.status == 200 && r.reason == "")
        #expect(try Self.parse("HTTP/1.0 500 \r\nContent-Length: 0\r\n\r\n")?.status == 500)
    }

    // MARK: - Truncated and malformed

    @Test func nothingAtAllIsEmptyAndAPartialHeadIsTruncated() {
        #expect(throws: HTTPResponseError.empty) { try Self.parse("") }
        #expect(throws: HTTPResponseError.truncated("in the header")) { try Self.parse("HTTP/1.1 200 OK\r\nContent-Le") }
        #expect(throws: HTTPResponseError.truncated("in chunk 1")) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly a few")
        }
        #expect(throws: HTTPResponseError.truncated("in the trailer")) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n")
        }
    }

    @Test(arguments: [
        ("SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2"),
        ("HTTP/2 200\r\n\r\n", "HTTP/2 200"),
        ("HTTP/1.1 20\r\n\r\n", "HTTP/1.1 20"),
        ("HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 2000 OK"),
        ("HTTP/1.1 099 Odd\r\n\r\n", "HTTP/1.1 099 Odd"),
        ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\nContent-Length: 0"),
    ])
    func aPeerThatIsNoHTTPServerIsToldApart(text: String, line: String) {
        #expect(throws: HTTPResponseError.malformedStatusLine(line)) { try Self.parse(text) }
    }

    @Test func somethingElseIsRefusedFromItsFirstBytes() {
        // Not after waiting for 64 KiB or the connection's end.
        #expect(throws: HTTPResponseError.malformedStatusLine("<html>")) { try Self.parse("<html>", atEOF: false) }
        #expect(throws: HTTPResponseError.malformedStatusLine("{\"a\"")) { try Self.parse("{\"a\"", atEOF: false) }
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", " folded"),
        ("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "No colon here"),
        ("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", ": empty name"),
        ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "Bad Name: x"),
        ("HTTP/1.1 200 OK\r\nX: a\u{1b}[2Jb\r\n\r\n", "X: a\u{1b}[2Jb"),
        ("HTTP/1.1 200 OK\r\nX: a\nInjected: 1\r\n\r\n", "X: a\nInjected: 1"),
    ])
    func aMalformedHeaderLineIsRefused(text: String, line: String) {
        #expect(throws: HTTPResponseError.malformedHeader(line)) { try Self.parse(text) }
    }

    @Test(arguments: [("abc", "abc"), ("-1", "-1"), ("1, 2", "1, 2"), ("0x10", "0x10"), ("1234567890123456789", "1234567890123456789")])
    func aContentLengthMustBeOneNumber(value: String, shown: String) {
        #expect(throws: HTTPResponseError.badContentLength(shown)) {
            try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\n")
        }
    }

    @Test func repeatedContentLengthsThatAgreeAreOne() throws {
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\nContent-Length: 1\r\n\r\nx")?.body == Self.bytes("x"))
    }

    @Test func onlyChunkedIsUnderstood() {
        #expect(throws: HTTPResponseError.unsupportedTransferEncoding("gzip, chunked")) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
        }
    }

    @Test(arguments: [("zz", "zz"), ("-1", "-1"), ("", ""), ("5 x", "5 x"), ("0x5", "0x5")])
    func aBadChunkSizeIsRefused(line: String, shown: String) {
        #expect(throws: HTTPResponseError.badChunkSize(shown)) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(line)\r\nhello\r\n0\r\n\r\n")
        }
    }

    @Test func chunkDataMustEndWithCRLF() {
        #expect(throws: HTTPResponseError.malformedChunk("chunk 1 is not followed by CRLF")) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n")
        }
    }

    // MARK: - Limits

    @Test func aHeadOver64KiBIsRefusedBeforeItEnds() throws {
        let long = "HTTP/1.1 200 OK\r\nX-Padding: " + String(repeating: "a", count: 70_000)
        #expect(throws: HTTPResponseError.headerTooLarge(limit: 64 << 10)) { try Self.parse(long, atEOF: false) }
        // Just inside the limit is fine.
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Padding: "
        let fits = head + String(repeating: "a", count: (64 << 10) - head.utf8.count - 4) + "\r\n\r\n"
        #expect(fits.utf8.count == 64 << 10)
        #expect(try Self.parse(fits)?.status == 200)
    }

    @Test func aBodyOverTheLimitIsRefusedAsSoonAsItIsKnown() {
        // Content-Length says so before any body byte arrives.
        #expect(throws: HTTPResponseError.bodyTooLarge(limit: 10)) {
            try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", limit: 10, atEOF: false)
        }
        // Chunks add up past it.
        #expect(throws: HTTPResponseError.bodyTooLarge(limit: 10)) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n", limit: 10, atEOF: false)
        }
        // A chunk size too large for any integer is refused, not overflowed.
        #expect(throws: HTTPResponseError.bodyTooLarge(limit: 10)) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffffffff\r\n", limit: 10, atEOF: false)
        }
        // A body without a length, before the connection ends.
        #expect(throws: HTTPResponseError.bodyTooLarge(limit: 10)) {
            try Self.parse("HTTP/1.1 200 OK\r\n\r\n0123456789a", limit: 10, atEOF: false)
        }
    }

    @Test func aBodyOfExactlyTheLimitIsTaken() throws {
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", limit: 10)?.body.count == 10)
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", limit: 10)?.body.count == 10)
        #expect(try Self.parse("HTTP/1.1 200 OK\r\n\r\n0123456789", limit: 10)?.body.count == 10)
    }

    @Test func aChunkSizeLineHasALimit() {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "x", count: 5000)
        #expect(throws: HTTPResponseError.self) { try Self.parse(text, atEOF: false) }
    }

    @Test func framingCannotOutgrowTheBody() {
        // Each 1-byte chunk costs 5 bytes of framing: 40 000 of them are a body well inside the
        // limit, but 200 000 bytes of framing, more than head limit + body limit.
        let chunks = String(repeating: "1\r\nx\r\n", count: 40_000)
        #expect(throws: HTTPResponseError.chunkFramingTooLarge(limit: (64 << 10) + 100_000)) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, limit: 100_000, atEOF: false)
        }
    }

    @Test func errorsReadAsSentences() {
        #expect(HTTPResponseError.bodyTooLarge(limit: 8 << 20).description == "the body is larger than 8 MiB, the most hoptrace reads")
        #expect(HTTPResponseError.headerTooLarge(limit: 64 << 10).description == "the header is longer than 64 KiB, the most hoptrace reads")
        #expect(HTTPResponseError.malformedStatusLine("SSH-2.0").description == "the answer is not HTTP/1 (it starts \"SSH-2.0\")")
        #expect(HTTPResponseError.empty.description == "the connection closed without an answer")
        #expect(HTTPResponseError.truncated("in the header").description == "the answer ended early, in the header")
    }

    // MARK: - The request

    @Test func theRequestIsOneGetThatClosesTheConnection() throws {
        #expect(try HTTPRequest.get("/containers/json") == Self.bytes("GET /containers/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"))
        #expect(try HTTPRequest.get("/containers/json?all=1&filters=%7B%7D") ==
                Self.bytes("GET /containers/json?all=1&filters=%7B%7D HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"))
    }

    @Test(arguments: [
        "/containers/x\r\nHost: evil.example\r\n\r\nGET /secret",
        "/containers/x\nX-Injected: 1",
        "/containers/x\rX",
        "/a b",
        "/a\tb",
        "/a\u{0}b",
        "/caf\u{e9}",
        "/a#fragment",
        "containers/json",
        "",
    ])
    func aPathThatCouldEndTheRequestLineIsRefused(path: String) {
        #expect(throws: HTTPRequestError.invalidPath(path)) { try HTTPRequest.get(path) }
    }
}
