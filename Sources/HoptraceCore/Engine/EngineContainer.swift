import Foundation

/// A container as the Docker Engine API describes it (Docker, or Podman's compatible service):
/// what hoptrace needs to find its network namespace (`/proc/PID/ns/net`) and to name it.
///
/// Everything here is text from outside. Names and images may hold any character: callers escape
/// them where they print (`TerminalText`), nothing is escaped here. Each text field is at most
/// `fieldLimit` UTF-8 bytes: a longer one makes the whole answer an error (`EngineJSONError.tooLarge`)
/// rather than being cut, because a cut name could equal another container's and be matched
/// in its place. No engine writes such fields (Docker names are `[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
public struct EngineContainer: Sendable, Hashable {
    /// The full ID: 64 lowercase hex digits (checked: it goes into request paths).
    public var id: String
    /// Without the API's leading "/": "web".
    public var name: String
    /// As the container was created from it: "hoptrace-busybox:1", "localhost/…" on Podman.
    public var image: String
    /// "running", "exited", "paused"…; "" when the engine gave none.
    public var state: String
    /// The container's first process, from inspect's `State.Pid`; nil when it does not run
    /// (the engine writes 0 then).
    public var pid: Int32?
    /// Sorted by network name.
    public var networks: [EngineNetworkAttachment]
    /// Published ports only, sorted (container port, protocol, host address, host port).
    public var ports: [EnginePortMapping]

    /// The most text one field may hold, in UTF-8 bytes.
    public static let fieldLimit = 4096
    /// The most containers one listing may hold.
    public static let listLimit = 4096

    public init(id: String, name: String, image: String, state: String, pid: Int32?,
                networks: [EngineNetworkAttachment] = [], ports: [EnginePortMapping] = []) {
        self.id = id
        self.name = name
        self.image = image
        self.state = state
        self.pid = pid
        self.networks = networks
        self.ports = ports
    }

    /// The file to enter while it runs.
    public var namespacePath: String? { pid.map(NetworkNamespace.processPath) }

    /// The 12-digit ID the docker CLI shows.
    public var shortID: String { String(id.prefix(12)) }
}

/// One network a container is attached to. Addresses are kept as the engine wrote them; an
/// empty one (no IPv6, `--network host`) is nil.
public struct EngineNetworkAttachment: Sendable, Hashable {
    /// "bridge", "podman", a user network's name.
    public var network: String
    public var ipAddress: String?
    public var gateway: String?
    public var macAddress: String?
    /// `GlobalIPv6Address`.
    public var ipv6: String?

    public init(network: String, ipAddress: String?, gateway: String?, macAddress: String?, ipv6: String?) {
        self.network = network
        self.ipAddress = ipAddress
        self.gateway = gateway
        self.macAddress = macAddress
        self.ipv6 = ipv6
    }
}

/// A published port: `-p 8080:80` is hostPort 8080, containerPort 80, "tcp".
public struct EnginePortMapping: Sendable, Hashable, Comparable {
    /// "0.0.0.0", "::"; nil when the engine named no address (Podman: every address).
    public var hostIP: String?
    public var hostPort: UInt16
    public var containerPort: UInt16
    /// "tcp", "udp", "sctp".
    public var proto: String

    public init(hostIP: String?, hostPort: UInt16, containerPort: UInt16, proto: String) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.containerPort, a.proto, a.hostIP ?? "", a.hostPort) < (b.containerPort, b.proto, b.hostIP ?? "", b.hostPort)
    }
}

// MARK: - Decoding inspect

extension EngineContainer {
    /// `GET /containers/{id}/json` (Docker's inspect, or Podman's compatible one).
    /// `source` names the request in errors.
    public init(inspectJSON json: Data, source: String = "/containers/{id}/json") throws(EngineJSONError) {
        let wire = try EngineJSON.decode(WireInspect.self, from: json, source: source)
        let state = wire.state
        var pid: Int32?
        if let raw = state?.pid, raw != 0 {
            guard let p = Int32(exactly: raw), p > 0 else {
                throw .unexpectedShape(source: source, detail: "'State.Pid' is \(raw), no process ID")
            }
            // A stopped container keeps no process; the engine writes 0, and says Running false.
            pid = state?.running == false ? nil : p
        }
        var ports: [EnginePortMapping] = []
        for (key, bindings) in wire.networkSettings?.ports ?? [:] {
            // "80/tcp"; null bindings: exposed, not published.
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let containerPort = UInt16(parts[0]), !parts[1].isEmpty else {
                throw .unexpectedShape(source: source, detail: "'NetworkSettings.Ports' has a key that is no PORT/PROTOCOL")
            }
            let proto = try EngineJSON.bounded(String(parts[1]), "NetworkSettings.Ports", source: source)
            for binding in bindings ?? [] {
                guard let text = binding.hostPort, !text.isEmpty else { continue }
                guard let hostPort = UInt16(text) else {
                    throw .unexpectedShape(source: source, detail: "'NetworkSettings.Ports' holds a HostPort that is no port number")
                }
                ports.append(EnginePortMapping(hostIP: try EngineJSON.text(binding.hostIP, "NetworkSettings.Ports.HostIp", source: source),
                                               hostPort: hostPort, containerPort: containerPort, proto: proto))
            }
        }
        self.init(
            id: try EngineJSON.containerID(wire.id, "Id", source: source),
            name: Self.withoutSlash(try EngineJSON.bounded(wire.name ?? "", "Name", source: source)),
            image: try EngineJSON.bounded(wire.config?.image ?? "", "Config.Image", source: source),
            state: try EngineJSON.bounded(state?.status ?? "", "State.Status", source: source),
            pid: pid,
            networks: try EngineJSON.networks(wire.networkSettings?.networks, source: source),
            ports: ports.sorted())
    }

    /// The API writes names as "/web"; one leading slash goes.
    static func withoutSlash(_ name: String) -> String {
        name.hasPrefix("/") ? String(name.dropFirst()) : name
    }
}
