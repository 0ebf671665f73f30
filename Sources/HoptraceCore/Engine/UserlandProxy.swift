/// A docker-proxy process: Docker's userland proxy for one published port. It answers the
/// connections iptables does not DNAT — from a container to its host's published port (hairpin)
/// and to localhost — and opens a new connection of its own to the container.
public struct UserlandProxy: Sendable, Equatable {
    public var pid: Int32
    /// The namespace it listens in (the engine's: nil is hoptrace's own).
    public var netns: String?
    public var proto: UInt8
    /// nil: every address (`0.0.0.0`, `::`).
    public var hostIP: IPAddress?
    public var hostPort: UInt16
    public var containerIP: IPAddress
    public var containerPort: UInt16

    public init(pid: Int32, netns: String?, proto: UInt8, hostIP: IPAddress?, hostPort: UInt16, containerIP: IPAddress, containerPort: UInt16) {
        self.pid = pid
        self.netns = netns
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
    }

    /// From its command line: `docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080
    /// -container-ip 172.17.0.2 -container-port 80` (Docker 20.10 to 27). nil for anything else.
    public init?(pid: Int32, netns: String?, commandLine argv: [String]) {
        guard let first = argv.first, first.hasSuffix("docker-proxy") else { return nil }
        var options: [String: String] = [:]
        var i = 1
        while i + 1 < argv.count {
            let key = argv[i].drop { $0 == "-" }
            options[String(key)] = argv[i + 1]
            i += 2
        }
        let proto: UInt8
        switch options["proto"] {
        case "tcp": proto = IPProtocol.tcp
        case "udp": proto = IPProtocol.udp
        case "sctp": proto = IPProtocol.sctp
        default: return nil
        }
        // Containers' addresses are IPv4 here (Docker's default networks); an IPv6 listener
        // (`-host-ip ::`) forwards to the same IPv4 container and is any address.
        guard let hostPort = options["host-port"].flatMap(UInt16.init), let containerPort = options["container-port"].flatMap(UInt16.init),
              let containerIP = options["container-ip"].flatMap(IPv4Address.init) else { return nil }
        let hostText = options["host-ip"] ?? "0.0.0.0"
        let host: IPAddress?
        if hostText == "0.0.0.0" || hostText == "::" {
            host = nil
        } else if let v4 = IPv4Address(hostText) {
            host = .v4(v4)
        } else {
            return nil
        }
        self.init(pid: pid, netns: netns, proto: proto, hostIP: host, hostPort: hostPort, containerIP: .v4(containerIP), containerPort: containerPort)
    }

    /// "0.0.0.0:8080" (every address: docker-proxy listens on 0.0.0.0 and :: alike), "192.0.2.1:8080".
    public var listenText: String { "\(hostIP.map { "\($0)" } ?? "0.0.0.0"):\(hostPort)" }
}
