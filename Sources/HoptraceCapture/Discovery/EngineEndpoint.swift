/// The unix socket of the container engine to ask: Docker's, or Podman's Docker-compatible
/// service (`podman system service unix://PATH`). hoptrace reads namespaces through /proc on the
/// engine's own host, so an engine reached over TCP or SSH would hand it PIDs of another machine:
/// only unix sockets are taken.
public struct EngineEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Where the socket's path came from; messages say so.
    public enum Origin: Sendable, Hashable {
        /// `--docker-host`.
        case option
        /// `DOCKER_HOST`.
        case environment
        /// Neither was given: Docker's usual socket.
        case standard
    }

    public let socketPath: String
    public let origin: Origin

    /// Docker's socket when nothing names another.
    public static let standardSocket = "/var/run/docker.sock"
    /// `sockaddr_un.sun_path` holds 108 bytes, its terminating NUL included.
    static let socketPathLimit = 107

    public init(socketPath: String, origin: Origin) {
        self.socketPath = socketPath
        self.origin = origin
    }

    /// `--docker-host` wins, then DOCKER_HOST (an empty one is unset, as the docker CLI takes
    /// it), then /var/run/docker.sock. Either may be `unix:///PATH` or a bare absolute path.
    public static func resolve(dockerHost: String?, environment: [String: String]) throws(EngineError) -> EngineEndpoint {
        if let dockerHost { return try parse(dockerHost, origin: .option) }
        if let fromEnvironment = environment["DOCKER_HOST"], !fromEnvironment.isEmpty {
            return try parse(fromEnvironment, origin: .environment)
        }
        return EngineEndpoint(socketPath: standardSocket, origin: .standard)
    }

    static func parse(_ address: String, origin: Origin) throws(EngineError) -> EngineEndpoint {
        let path: String
        if address.hasPrefix("unix://") {
            path = String(address.dropFirst("unix://".count))
        } else if address.hasPrefix("/") {
            path = address
        } else if let colon = address.firstIndex(of: ":"), address[colon...].hasPrefix("://") {
            throw .unsupportedHost(address, origin: origin)
        } else {
            throw .invalidHost(address, origin: origin, reason: "give unix:///PATH or an absolute path")
        }
        guard path.hasPrefix("/") else {
            throw .invalidHost(address, origin: origin, reason: "the socket's path must be absolute (unix:///run/docker.sock: three slashes)")
        }
        guard !path.utf8.contains(0) else { throw .invalidHost(address, origin: origin, reason: "the path holds a NUL byte") }
        guard path.utf8.count <= socketPathLimit else {
            throw .invalidHost(address, origin: origin,
                               reason: "the path is \(path.utf8.count) bytes; a unix socket's path holds at most \(socketPathLimit)")
        }
        return EngineEndpoint(socketPath: path, origin: origin)
    }

    /// `unix:///var/run/docker.sock`.
    public var description: String { "unix://" + socketPath }
}

extension EngineEndpoint.Origin {
    /// "--docker-host", "DOCKER_HOST", "the default".
    var name: String {
        switch self {
        case .option: "--docker-host"
        case .environment: "DOCKER_HOST"
        case .standard: "the default"
        }
    }
}
