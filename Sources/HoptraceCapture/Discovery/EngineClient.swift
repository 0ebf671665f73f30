import Foundation
import Glibc
import HoptraceCore

/// Asks a container engine over its unix socket (`EngineEndpoint`): the Docker Engine API, which
/// Podman's `podman system service` serves too, so one client reads both.
///
/// One connection per request, `Connection: close`, on the calling thread: a non-blocking
/// socket and poll(2) against a deadline on the monotonic clock, so an engine that hangs costs
/// `timeout` seconds per request and no more. Answers are parsed by `HTTPResponse` (bodies of at
/// most `bodyLimit` bytes) and decoded by `EngineContainer` in HoptraceCore. Requests carry no API
/// version prefix: each engine then serves its own current version, and the fields read here
/// have kept their names since API 1.24.
public struct EngineClient: Sendable {
    public let endpoint: EngineEndpoint
    /// Seconds for one request: connecting, sending, and reading the whole answer.
    public let timeout: Double
    public let bodyLimit: Int

    public init(endpoint: EngineEndpoint, timeout: Double = 3, bodyLimit: Int = 8 << 20) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.bodyLimit = bodyLimit
    }

    /// The body of a 2xx answer to `GET path`; any other status is an error carrying the
    /// engine's own `message`.
    public func get(_ path: String) throws(EngineError) -> Data {
        let response = try exchange(path)
        guard response.isSuccess else {
            throw .status(endpoint, request: path, code: response.status, reason: response.reason,
                          message: EngineErrorBody.message(in: Data(response.body)))
        }
        return Data(response.body)
    }

    /// Which engine answers, and its version ("20.10.24+dfsg1", "4.3.1").
    public func version() throws(EngineError) -> (kind: ContainerEngineKind, version: String) {
        let answer = try engineVersion()
        return (answer.kind, answer.version)
    }

    /// `GET /version`, decoded. Whatever answers that is no engine's answer (another HTTP
    /// server, something that is not HTTP) is `notAnEngine`.
    public func engineVersion() throws(EngineError) -> EngineVersion {
        let body: Data
        do throws(EngineError) {
            body = try get("/version")
        } catch {
            switch error {
            case .badResponse(_, _, let problem):
                throw .notAnEngine(endpoint, detail: problem.description)
            case .status(_, _, let code, let reason, _):
                throw .notAnEngine(endpoint, detail: "GET /version answered \(code) \(reason)")
            default:
                throw error
            }
        }
        do throws(EngineJSONError) {
            return try EngineVersion(versionJSON: body)
        } catch {
            throw .notAnEngine(endpoint, detail: error.description)
        }
    }

    /// The running containers as the list gives them (one request: what a watch polls).
    public func running() throws(EngineError) -> [EngineContainer.Summary] {
        let listJSON = try get("/containers/json")
        do throws(EngineJSONError) {
            return try EngineContainer.list(fromContainersJSON: listJSON)
        } catch {
            throw .response(endpoint, error)
        }
    }

    /// The running containers (the API lists only those unless asked for all), each inspected
    /// for its PID. A container that is gone by the time it is inspected (404) is left out; one
    /// that stopped in between is kept, with no PID. At most `EngineContainer.listLimit`.
    public func containers() throws(EngineError) -> [EngineContainer] {
        var found: [EngineContainer] = []
        for summary in try running() {
            // The ID is 64 hex digits (checked when decoded): safe in a path.
            let path = "/containers/\(summary.id)/json"
            let json: Data
            do throws(EngineError) {
                json = try get(path)
            } catch {
                if case .status(_, _, 404, _, _) = error { continue }
                throw error
            }
            do throws(EngineJSONError) {
                found.append(try EngineContainer(inspectJSON: json, source: path))
            } catch {
                throw .response(endpoint, error)
            }
        }
        return found
    }

    /// One request and its whole answer. Each read is parsed at once, so an answer whose length
    /// is known ends the exchange even if the engine keeps the connection open.
    private func exchange(_ path: String) throws(EngineError) -> HTTPResponse {
        let request: [UInt8]
        do throws(HTTPRequestError) {
            request = try HTTPRequest.get(path)
        } catch {
            throw .invalidRequest(error)
        }
        let connection = try EngineConnection.open(endpoint, request: path, timeout: timeout)
        try connection.send(request)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try connection.receive(into: &buffer)
            received += buffer[0..<n]
            do throws(HTTPResponseError) {
                if let response = try HTTPResponse.parse(received, bodyLimit: bodyLimit, atEOF: n == 0) { return response }
                if n == 0 { throw .truncated("at the end of the connection") }
            } catch {
                throw .badResponse(endpoint, request: path, error)
            }
        }
    }
}

/// One connection to the engine's socket, closed when released. Non-blocking: every wait is a
/// poll(2) bounded by the request's deadline.
private final class EngineConnection {
    private let fd: Int32
    private let endpoint: EngineEndpoint
    private let request: String
    private let timeout: Double
    private let deadline: Double

    private init(fd: Int32, endpoint: EngineEndpoint, request: String, timeout: Double) {
        self.fd = fd
        self.endpoint = endpoint
        self.request = request
        self.timeout = timeout
        deadline = Monotonic.now + max(0, timeout)
    }

    deinit { close(fd) }

    static func open(_ endpoint: EngineEndpoint, request: String, timeout: Double) throws(EngineError) -> EngineConnection {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(endpoint.socketPath.utf8)
        // `resolve` checked this; an endpoint made by hand may not have been.
        guard path.count < MemoryLayout.size(ofValue: address.sun_path), !path.contains(0) else {
            throw .invalidHost(endpoint.socketPath, origin: endpoint.origin, reason: "not a usable unix socket path")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system(endpoint, function: "socket", errno: errno) }
        let connection = EngineConnection(fd: fd, endpoint: endpoint, request: request, timeout: timeout)
        try connection.connect(&address)
        return connection
    }

    private func connect(_ address: inout sockaddr_un) throws(EngineError) {
        while true {
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc == 0 { return }
            let e = errno
            switch e {
            case EINTR:
                continue
            case EAGAIN:
                // A unix socket's listen backlog is full: the engine is busy; try again shortly.
                guard Monotonic.now < deadline else { throw .timedOut(endpoint, request: request, seconds: timeout) }
                usleep(10_000)
            case EINPROGRESS:
                try wait(for: Int16(POLLOUT))
                var failure: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size) == 0 else {
                    throw .system(endpoint, function: "getsockopt(SO_ERROR)", errno: errno)
                }
                if failure == 0 { return }
                throw refusal(failure)
            default:
                throw refusal(e)
            }
        }
    }

    /// Why connect(2) failed, in the words a user needs.
    private func refusal(_ e: Int32) -> EngineError {
        switch e {
        case ENOENT, ENOTDIR:
            return .noEngine(endpoint)
        case ECONNREFUSED:
            // Linux refuses a connect to a file that is no socket the same way as to a socket
            // nobody listens on (a stale one): tell them apart.
            var st = stat()
            if stat(endpoint.socketPath, &st) == 0, st.st_mode & S_IFMT != S_IFSOCK { return .notASocket(endpoint) }
            return .noEngine(endpoint)
        case EACCES, EPERM:
            return .permissionDenied(endpoint)
        default:
            return .system(endpoint, function: "connect", errno: e)
        }
    }

    /// All of `bytes`. MSG_NOSIGNAL: an engine that closed early gives EPIPE, not a SIGPIPE
    /// that would end hoptrace.
    func send(_ bytes: [UInt8]) throws(EngineError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                continue
            }
            let e = errno
            if n < 0, e == EINTR { continue }
            if n < 0, e == EAGAIN {
                try wait(for: Int16(POLLOUT))
                continue
            }
            throw .system(endpoint, function: "send", errno: n < 0 ? e : EPIPE)
        }
    }

    /// The next bytes into `buffer`: their count, 0 at the end of the answer.
    func receive(into buffer: inout [UInt8]) throws(EngineError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            let e = errno
            switch e {
            case EINTR:
                continue
            case EAGAIN:
                try wait(for: Int16(POLLIN))
            case ECONNRESET:
                // The engine went away: what arrived is judged as it stands (truncated or whole).
                return 0
            default:
                throw .system(endpoint, function: "recv", errno: e)
            }
        }
    }

    /// Until the socket is ready for `events` (or has an error or hang-up, which the next call
    /// reports), or the deadline passes.
    private func wait(for events: Int16) throws(EngineError) {
        while true {
            let left = deadline - Monotonic.now
            guard left > 0 else { throw .timedOut(endpoint, request: request, seconds: timeout) }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left * 1000 + 1, 60_000)))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .system(endpoint, function: "poll", errno: errno) }
        }
    }
}

/// Why the engine could not be asked, or what its answer lacked; each case one sentence a user
/// can act on. Text from the engine (its messages) is quoted as given; printers escape it.
public enum EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// tcp://, ssh://, npipe://, fd://…
    case unsupportedHost(String, origin: EngineEndpoint.Origin)
    case invalidHost(String, origin: EngineEndpoint.Origin, reason: String)
    /// Nothing at the path, or a socket nobody listens on.
    case noEngine(EngineEndpoint)
    case permissionDenied(EngineEndpoint)
    /// The path is a file of another kind.
    case notASocket(EngineEndpoint)
    /// A system call failed (errno).
    case system(EngineEndpoint, function: String, errno: Int32)
    case timedOut(EngineEndpoint, request: String, seconds: Double)
    /// Not an HTTP response, or one beyond hoptrace's limits.
    case badResponse(EngineEndpoint, request: String, HTTPResponseError)
    case invalidRequest(HTTPRequestError)
    /// A status other than 2xx, with the engine's `message` when it gave one.
    case status(EngineEndpoint, request: String, code: Int, reason: String, message: String?)
    /// Something answers at the socket, but not as a Docker-compatible engine does.
    case notAnEngine(EngineEndpoint, detail: String)
    /// An answer that is not the JSON the API documents.
    case response(EngineEndpoint, EngineJSONError)

    public var description: String {
        switch self {
        case .unsupportedHost(let address, let origin):
            return "hoptrace reaches the engine through its unix socket only; got \(address) (\(origin.name)): run hoptrace on the engine's host"
        case .invalidHost(let address, let origin, let reason):
            return "\(origin.name) \(address): \(reason)"
        case .noEngine(let endpoint):
            if endpoint.origin == .standard {
                return "no Docker engine at \(endpoint.socketPath) (is dockerd running? --docker-host unix://PATH or DOCKER_HOST name another)"
            }
            return "no engine at \(endpoint.socketPath) (named by \(endpoint.origin.name)): is dockerd, or `podman system service`, listening there?"
        case .permissionDenied(let endpoint):
            return "permission denied on \(endpoint.socketPath): the engine's socket needs root or membership in the docker group"
        case .notASocket(let endpoint):
            return "\(endpoint.socketPath) is not a unix socket (\(endpoint.origin.name)): name the engine's socket"
        case .system(let endpoint, let function, let e):
            return "cannot ask the engine at \(endpoint.socketPath): \(function): \(String(cString: strerror(e)))"
        case .timedOut(let endpoint, let request, let seconds):
            return "the engine at \(endpoint.socketPath) did not answer GET \(request) within \(Self.seconds(seconds))"
        case .badResponse(let endpoint, let request, let problem):
            return "the engine at \(endpoint.socketPath) gave an unusable answer to GET \(request): \(problem)"
        case .invalidRequest(let problem):
            return problem.description
        case .status(let endpoint, let request, let code, let reason, let message):
            let status = reason.isEmpty ? "\(code)" : "\(code) \(reason)"
            return "the engine at \(endpoint.socketPath) answered GET \(request) with \(status)" + (message.map { ": \($0)" } ?? "")
        case .notAnEngine(let endpoint, let detail):
            return "\(endpoint.socketPath) does not answer like a Docker-compatible engine (\(detail))"
        case .response(let endpoint, let problem):
            return "the engine at \(endpoint.socketPath): \(problem)"
        }
    }

    /// "3 s", "0.5 s".
    private static func seconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e9 ? "\(Int(s)) s" : "\(s) s"
    }
}
