// The wire format (Engine API 1.41; only the fields hoptrace reads). Internal rather than
// private only because its readers (inspect, the listing, /version) live in their own files.

/// A JSON list decoded up to `EngineContainer.listLimit` entries; `overflowed` if it holds more.
struct BoundedList<Element: Decodable>: Decodable {
    var elements: [Element] = []
    var overflowed = false

    init(from decoder: any Decoder) throws {
        var list = try decoder.unkeyedContainer()
        while !list.isAtEnd {
            guard elements.count < EngineContainer.listLimit else {
                overflowed = true
                return
            }
            elements.append(try list.decode(Element.self))
        }
    }
}

struct WireNetwork: Decodable {
    var ipAddress: String?
    var gateway: String?
    var macAddress: String?
    var globalIPv6Address: String?

    enum CodingKeys: String, CodingKey {
        case ipAddress = "IPAddress", gateway = "Gateway", macAddress = "MacAddress", globalIPv6Address = "GlobalIPv6Address"
    }
}

struct WirePortBinding: Decodable {
    var hostIP: String?
    var hostPort: String?

    enum CodingKeys: String, CodingKey {
        case hostIP = "HostIp", hostPort = "HostPort"
    }
}

struct WireNetworkSettings: Decodable {
    /// null where a network's entry is null.
    var networks: [String: WireNetwork?]?
    /// Inspect only: "80/tcp" → bindings, null when exposed but not published.
    var ports: [String: [WirePortBinding]?]?

    enum CodingKeys: String, CodingKey {
        case networks = "Networks", ports = "Ports"
    }
}

struct WireListPort: Decodable {
    var ip: String?
    var privatePort: Int?
    var publicPort: Int?
    var type: String?

    enum CodingKeys: String, CodingKey {
        case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type"
    }
}

struct WireSummary: Decodable {
    var id: String
    var names: [String]?
    var image: String?
    /// A string here; inspect's `State` is an object.
    var state: String?
    var ports: [WireListPort]?
    var networkSettings: WireNetworkSettings?

    enum CodingKeys: String, CodingKey {
        case id = "Id", names = "Names", image = "Image", state = "State", ports = "Ports", networkSettings = "NetworkSettings"
    }
}

struct WireInspect: Decodable {
    struct Config: Decodable {
        var image: String?
        enum CodingKeys: String, CodingKey { case image = "Image" }
    }

    struct State: Decodable {
        var status: String?
        var running: Bool?
        var pid: Int64?
        enum CodingKeys: String, CodingKey { case status = "Status", running = "Running", pid = "Pid" }
    }

    var id: String
    var name: String?
    var config: Config?
    var state: State?
    var networkSettings: WireNetworkSettings?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", config = "Config", state = "State", networkSettings = "NetworkSettings"
    }
}

struct WireVersion: Decodable {
    struct Platform: Decodable {
        var name: String?
        enum CodingKeys: String, CodingKey { case name = "Name" }
    }

    struct Component: Decodable {
        var name: String?
        var version: String?
        enum CodingKeys: String, CodingKey { case name = "Name", version = "Version" }
    }

    var version: String?
    var apiVersion: String?
    var platform: Platform?
    var components: [Component]?

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", platform = "Platform", components = "Components"
    }
}
