// The articles' topology (Host1 with bridge docker1 and two containers, Host2
// across the uplink), rebuilt inside network namespaces whose names share a prefix.

/// Names of everything the lab makes. Interface names are fixed (they live
/// inside the lab's own namespaces); only the namespace names carry the prefix.
public struct LabTopology: Sendable, Equatable {
    public let prefix: String

    public init(prefix: String = "ht") throws {
        guard LabTopology.isValidPrefix(prefix) else { throw LabError.invalidPrefix(prefix) }
        self.prefix = prefix
    }

    /// Namespace names end up in /run/netns and in `ip` command lines: keep them plain.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        !prefix.isEmpty && prefix.count <= 16
            && prefix.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    public var ns0: String { prefix + "ns0" }
    public var ns1: String { prefix + "ns1" }
    public var host: String { prefix + "host" }
    public var remote: String { prefix + "remote" }
    /// In creation order; `down` removes them in reverse.
    public var namespaces: [String] { [host, ns0, ns1, remote] }

    /// Accepts a short role name (`ns1`, `host`, `remote`, `ns0`) or a full namespace name.
    public func namespace(named role: String) throws -> String {
        switch role {
        case "ns0": return ns0
        case "ns1": return ns1
        case "host": return host
        case "remote": return remote
        default:
            guard namespaces.contains(role) else { throw LabError.unknownRole(role, known: namespaces) }
            return role
        }
    }

    // The articles' addresses.
    public static let bridge = "docker1"
    public static let bridgeAddress = "172.18.0.1"
    public static let containerSubnet = "172.18.0.0/24"
    public static let ns0Address = "172.18.0.2"
    public static let ns1Address = "172.18.0.3"
    public static let uplink = "enX0"
    public static let hostUplinkAddress = "172.31.39.53"
    public static let remoteAddress = "172.31.45.174"
    public static let uplinkPrefixLength = 20

    /// The capture points of a ping from ns1 to the remote, in path order.
    public var capturePoints: [(netns: String, iface: String)] {
        [(ns1, "eth0"), (host, "veth1"), (host, Self.bridge), (host, Self.uplink), (remote, Self.uplink)]
    }
}
