import Foundation
import HoptraceCapture
import HoptraceCore
import Testing

/// `EngineClient` against a stand-in engine on a temporary unix socket: no root, no Docker. The
/// answers are the real ones of Tests/Fixtures/engine, framed the ways dockerd frames them
/// (Content-Length for short bodies, chunked for long ones), and the ways an engine fails.
@Suite struct EngineClientTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/engine/docker")

    static func fixture(_ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(file)))
    }

    static func client(_ engine: CannedEngine, timeout: Double = 3, bodyLimit: Int = 8 << 20) -> EngineClient {
        EngineClient(endpoint: EngineEndpoint(socketPath: engine.path, origin: .option), timeout: timeout, bodyLimit: bodyLimit)
    }

    @Test func aContentLengthAnswerIsRead() throws {
        let version = try Self.fixture("api-version.json")
        try withCannedEngine("ver", { _ in .reply(CannedEngine.withLength(version)) }) { engine in
            let answer = try Self.client(engine).version()
            #expect(answer.kind == .docker && answer.version == "20.10.24+dfsg1")
            #expect(engine.requests == ["GET /version HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"])
        }
    }

    @Test func containersAreListedThenInspectedOneByOne() throws {
        let listing = try Self.fixture("api-containers.json")
        let inspect = try Self.fixture("api-container-web.json")
        let web = try EngineContainer(inspectJSON: Data(inspect))
        try withCannedEngine("list", { path in
            switch path {
            case "/containers/json":
                // Chunked, in pieces that split the JSON anywhere.
                .reply(CannedEngine.chunked([Array(listing[..<100]), Array(listing[100..<1000]), Array(listing[1000...])]))
            case "/containers/\(web.id)/json":
                .reply(CannedEngine.withLength(inspect))
            default:
                // The other three stopped and were removed between the two requests.
                .reply(CannedEngine.withLength(Array(#"{"message":"No such container"}"#.utf8), status: "404 Not Found"))
            }
        }) { engine in
            #expect(try Self.client(engine).containers() == [web])
            let listed = try EngineContainer.list(fromContainersJSON: Data(listing))
            #expect(engine.requests.map { $0.components(separatedBy: "\r\n")[0] }
                    == ["GET /containers/json HTTP/1.1"] + listed.map { "GET /containers/\($0.id)/json HTTP/1.1" })
        }
    }

    @Test func anErrorStatusCarriesTheEnginesMessage() throws {
        let body = Array(#"{"message":"No such container: x"}"#.utf8)
        try withCannedEngine("404", { _ in .reply(CannedEngine.withLength(body, status: "404 Not Found")) }) { engine in
            let client = Self.client(engine)
            #expect(throws: EngineError.status(client.endpoint, request: "/containers/x/json", code: 404, reason: "Not Found",
                                               message: "No such container: x")) {
                try client.get("/containers/x/json")
            }
            let error = EngineError.status(client.endpoint, request: "/containers/x/json", code: 404, reason: "Not Found", message: "No such container: x")
            #expect(error.description == "the engine at \(engine.path) answered GET /containers/x/json with 404 Not Found: No such container: x")
        }
    }

    @Test func anEngineThatNeverAnswersTimesOut() throws {
        try withCannedEngine("hang", { _ in .silence }) { engine in
            let client = Self.client(engine, timeout: 0.5)
            let start = Monotonic.now
            #expect(throws: EngineError.timedOut(client.endpoint, request: "/containers/json", seconds: 0.5)) {
                try client.get("/containers/json")
            }
            let took = Monotonic.now - start
            #expect(took >= 0.45 && took < 10, "the timeout, not a hang: took \(took) s")
            #expect(EngineError.timedOut(client.endpoint, request: "/version", seconds: 0.5).description
                    == "the engine at \(engine.path) did not answer GET /version within 0.5 s")
        }
    }

    @Test func anAnswerWithoutALengthEndsWithTheConnection() throws {
        let body = Array(#"{"Version":"1"}"#.utf8)
        try withCannedEngine("eof", { _ in .reply(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".utf8) + body) }) { engine in
            let got = try Self.client(engine).get("/version")
            #expect(got == Data(body))
        }
    }

    @Test(arguments: ["length", "chunked", "eof"])
    func aBodyOverTheLimitIsRefused(framing: String) throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 5000)
        let answer: [UInt8] = switch framing {
        case "length": CannedEngine.withLength(big)
        case "chunked": CannedEngine.chunked([Array(big[..<1000]), Array(big[1000...])])
        default: Array("HTTP/1.1 200 OK\r\n\r\n".utf8) + big
        }
        try withCannedEngine("big-\(framing)", { _ in .reply(answer) }) { engine in
            let client = Self.client(engine, bodyLimit: 1024)
            #expect(throws: EngineError.badResponse(client.endpoint, request: "/containers/json", .bodyTooLarge(limit: 1024))) {
                try client.get("/containers/json")
            }
        }
    }

    @Test func somethingElseAtTheSocketIsNoEngine() throws {
        try withCannedEngine("ssh", { _ in .reply(Array("SSH-2.0-OpenSSH_9.2p1\r\n".utf8)) }) { engine in
            let client = Self.client(engine)
            #expect(throws: EngineError.notAnEngine(client.endpoint, detail: "the answer is not HTTP/1 (it starts \"SSH-2.0-OpenSSH_9.2p1\")")) {
                try client.version()
            }
        }
        try withCannedEngine("html", { _ in .reply(CannedEngine.withLength(Array("<html>hello</html>".utf8), type: "text/html")) }) { engine in
            let client = Self.client(engine)
            #expect(throws: EngineError.notAnEngine(client.endpoint, detail: "the engine's answer to GET /version is not JSON (it starts \"<html>hello</html>\")")) {
                try client.version()
            }
        }
        try withCannedEngine("none", { _ in .reply([]) }) { engine in
            let client = Self.client(engine)
            #expect(throws: EngineError.notAnEngine(client.endpoint, detail: "the connection closed without an answer")) {
                try client.version()
            }
        }
    }

    @Test func aMissingSocketIsNoEngine() throws {
        let path = "/tmp/ht-noengine-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        let standard = EngineClient(endpoint: EngineEndpoint(socketPath: path, origin: .standard))
        #expect(throws: EngineError.noEngine(standard.endpoint)) { try standard.containers() }
        #expect(EngineError.noEngine(EngineEndpoint(socketPath: "/var/run/docker.sock", origin: .standard)).description
                == "no Docker engine at /var/run/docker.sock (is dockerd running? --docker-host unix://PATH or DOCKER_HOST name another)")
        #expect(EngineError.noEngine(EngineEndpoint(socketPath: "/run/podman/podman.sock", origin: .environment)).description
                .contains("no engine at /run/podman/podman.sock (named by DOCKER_HOST)"))
    }

    @Test func aSocketNobodyListensOnIsNoEngine() throws {
        // A stale socket file, as a stopped dockerd leaves it: connect is refused.
        let path = "/tmp/ht-stale-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        let fd = try CannedEngine.bound(path)
        close(fd)
        defer { unlink(path) }
        let client = EngineClient(endpoint: EngineEndpoint(socketPath: path, origin: .option))
        #expect(throws: EngineError.noEngine(client.endpoint)) { try client.get("/version") }
    }

    @Test func aFileThatIsNoSocketIsSaidSo() throws {
        try withScratchDirectory("engine-file") { dir in
            let path = dir + "/docker.sock"
            try Data("not a socket".utf8).write(to: URL(fileURLWithPath: path))
            let client = EngineClient(endpoint: EngineEndpoint(socketPath: path, origin: .option))
            #expect(throws: EngineError.notASocket(client.endpoint)) { try client.get("/version") }
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root connects whatever the socket's mode"))
    func aSocketWeMayNotUseIsPermissionDenied() throws {
        try withCannedEngine("perm", { _ in .silence }) { engine in
            #expect(chmod(engine.path, 0) == 0)
            let client = Self.client(engine)
            #expect(throws: EngineError.permissionDenied(client.endpoint)) { try client.get("/version") }
        }
        #expect(EngineError.permissionDenied(EngineEndpoint(socketPath: "/var/run/docker.sock", origin: .standard)).description
                == "permission denied on /var/run/docker.sock: the engine's socket needs root or membership in the docker group")
    }

    @Test func aPathThatCouldSplitTheRequestIsNeverSent() throws {
        try withCannedEngine("inject", { _ in .reply(CannedEngine.withLength(Array("{}".utf8))) }) { engine in
            let path = "/containers/x\r\nX-Injected: 1"
            #expect(throws: EngineError.invalidRequest(.invalidPath(path))) { try Self.client(engine).get(path) }
            #expect(engine.requests.isEmpty)
        }
    }
}

/// Which socket: the flag, the environment, the default; unix sockets only.
@Suite struct EngineEndpointTests {
    @Test func theFlagWinsThenTheEnvironmentThenTheDefault() throws {
        let env = ["DOCKER_HOST": "unix:///run/podman/podman.sock"]
        #expect(try EngineEndpoint.resolve(dockerHost: "unix:///tmp/d.sock", environment: env)
                == EngineEndpoint(socketPath: "/tmp/d.sock", origin: .option))
        #expect(try EngineEndpoint.resolve(dockerHost: nil, environment: env)
                == EngineEndpoint(socketPath: "/run/podman/podman.sock", origin: .environment))
        #expect(try EngineEndpoint.resolve(dockerHost: nil, environment: [:])
                == EngineEndpoint(socketPath: "/var/run/docker.sock", origin: .standard))
        // An empty DOCKER_HOST is unset, as the docker CLI reads it.
        #expect(try EngineEndpoint.resolve(dockerHost: nil, environment: ["DOCKER_HOST": ""]).origin == .standard)
    }

    @Test func aBareAbsolutePathIsASocket() throws {
        #expect(try EngineEndpoint.resolve(dockerHost: "/run/user/1000/podman/podman.sock", environment: [:]).socketPath
                == "/run/user/1000/podman/podman.sock")
        #expect(EngineEndpoint(socketPath: "/var/run/docker.sock", origin: .standard).description == "unix:///var/run/docker.sock")
    }

    @Test(arguments: ["tcp://10.0.0.5:2375", "ssh://admin@build-host", "npipe:////./pipe/docker_engine", "fd://", "http://localhost:2375"])
    func anEngineOverTheNetworkIsRefused(address: String) {
        #expect(throws: EngineError.unsupportedHost(address, origin: .option)) {
            try EngineEndpoint.resolve(dockerHost: address, environment: [:])
        }
        #expect(throws: EngineError.unsupportedHost(address, origin: .environment)) {
            try EngineEndpoint.resolve(dockerHost: nil, environment: ["DOCKER_HOST": address])
        }
    }

    @Test func theRefusalSaysWhatToDo() {
        #expect(EngineError.unsupportedHost("tcp://10.0.0.5:2375", origin: .environment).description
                == "hoptrace reaches the engine through its unix socket only; got tcp://10.0.0.5:2375 (DOCKER_HOST): run hoptrace on the engine's host")
    }

    @Test func aPathThatCannotBeASocketIsRefused() {
        #expect(throws: EngineError.self) { try EngineEndpoint.resolve(dockerHost: "unix://relative.sock", environment: [:]) }
        #expect(throws: EngineError.self) { try EngineEndpoint.resolve(dockerHost: "unix://", environment: [:]) }
        #expect(throws: EngineError.self) { try EngineEndpoint.resolve(dockerHost: "docker.sock", environment: [:]) }
        #expect(throws: EngineError.self) { try EngineEndpoint.resolve(dockerHost: "", environment: [:]) }
        #expect(throws: EngineError.self) { try EngineEndpoint.resolve(dockerHost: "/tmp/a\u{0}b", environment: [:]) }
        let long = "/" + String(repeating: "d", count: 107)
        #expect(throws: EngineError.invalidHost(long, origin: .option, reason: "the path is 108 bytes; a unix socket's path holds at most 107")) {
            try EngineEndpoint.resolve(dockerHost: long, environment: [:])
        }
        #expect(throws: Never.self) { try EngineEndpoint.resolve(dockerHost: "/" + String(repeating: "d", count: 106), environment: [:]) }
    }
}

// MARK: - A stand-in engine

/// Listens on a unix socket and answers each connection on a thread of its own making: it reads
/// the request head, records it, and writes what `answer` gives for the request's path, then
/// shuts the connection down (shutdown, not only close: a child some parallel test spawns may
/// have inherited the descriptor, and must not keep the connection open) — or keeps it open,
/// silent, until the test ends.
final class CannedEngine: @unchecked Sendable {
    enum Answer: Sendable {
        case reply([UInt8])
        case silence
    }

    let path: String
    private let listener: Int32
    private let answer: @Sendable (String) -> Answer
    private let lock = NSLock()
    private var recorded: [String] = []
    private var held: [Int32] = []
    private let finished = DispatchSemaphore(value: 0)

    init(_ tag: String, answer: @escaping @Sendable (String) -> Answer) throws {
        path = "/tmp/ht-\(tag)-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        listener = try Self.bound(path)
        self.answer = answer
        guard listen(listener, 16) == 0 else {
            let e = errno
            close(listener)
            unlink(path)
            throw TestFailure("listen \(path): \(String(cString: strerror(e)))")
        }
        Thread { [self] in serve() }.start()
    }

    /// The request heads received, in order.
    var requests: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// A unix stream socket bound to `path` (not listening yet).
    static func bound(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw TestFailure("bind \(path): \(String(cString: strerror(e)))")
        }
        return fd
    }

    private func serve() {
        defer { finished.signal() }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return  // shut down by stop()
            }
            let head = readHead(client)
            lock.lock()
            recorded.append(head)
            lock.unlock()
            let target = head.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? ""
            switch answer(target) {
            case .reply(let bytes):
                var sent = 0
                while sent < bytes.count {
                    let n = bytes.withUnsafeBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }  // the client stopped reading (a body over its limit)
                    sent += n
                }
                shutdown(client, Int32(SHUT_RDWR))
                close(client)
            case .silence:
                lock.lock()
                held.append(client)
                lock.unlock()
            }
        }
    }

    /// Up to the empty line that ends the request's head (or EOF, or 64 KiB).
    private func readHead(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 16 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
            if bytes.count >= 4, bytes.suffix(4).elementsEqual([13, 10, 13, 10]) { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Stops accepting, ends the silent connections, removes the socket.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + 5)
        close(listener)
        unlink(path)
        lock.lock()
        for fd in held {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
        held = []
        lock.unlock()
    }

    static func withLength(_ body: [UInt8], status: String = "200 OK", type: String = "application/json") -> [UInt8] {
        Array("HTTP/1.1 \(status)\r\nApi-Version: 1.41\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    static func chunked(_ parts: [[UInt8]]) -> [UInt8] {
        var out = Array("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for part in parts {
            out += Array(String(part.count, radix: 16).utf8) + [13, 10] + part + [13, 10]
        }
        return out + Array("0\r\n\r\n".utf8)
    }
}

/// A stand-in engine for the body's length, stopped afterwards, also when the body throws.
func withCannedEngine(_ tag: String, _ answer: @escaping @Sendable (String) -> CannedEngine.Answer,
                      _ body: (CannedEngine) throws -> Void) throws {
    let engine = try CannedEngine(tag, answer: answer)
    defer { engine.stop() }
    try body(engine)
}
