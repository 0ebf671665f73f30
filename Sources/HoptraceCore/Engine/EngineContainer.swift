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
    public var namespacePath: String? { pid.map { "/proc/\($0)/ns/net" } }

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

/// Which engine answered. Podman serves the same API (`podman system service`).
public enum ContainerEngineKind: String, Sendable, Hashable {
    case docker, podman
}

/// What `GET /version` says.
public struct EngineVersion: Sendable, Hashable {
    public var kind: ContainerEngineKind
    /// The engine's own version, raw: "20.10.24+dfsg1", "4.3.1"; "" when it gave none.
    public var version: String
    /// The Docker API version it serves: "1.41".
    public var apiVersion: String?

    public init(kind: ContainerEngineKind, version: String, apiVersion: String?) {
        self.kind = kind
        self.version = version
        self.apiVersion = apiVersion
    }

    /// Podman names its component "Podman Engine" (its Platform.Name is "linux/amd64/debian-12");
    /// Docker's is "Engine", under a Platform.Name such as "Docker Engine - Community" or "".
    /// An answer with none of Version, ApiVersion and Components is no engine's.
    public init(versionJSON: Data) throws(EngineJSONError) {
        let source = "/version"
        let wire = try EngineJSON.decode(WireVersion.self, from: versionJSON, source: source)
        guard wire.version != nil || wire.apiVersion != nil || wire.components != nil else {
            throw .unexpectedShape(source: source, detail: "no Version, ApiVersion or Components: not the Docker Engine API")
        }
        let components = wire.components ?? []
        let isPodman = components.contains { $0.name?.lowercased().contains("podman") == true }
            || wire.platform?.name?.lowercased().contains("podman") == true
        let engine = components.first { $0.name == "Engine" || $0.name == "Podman Engine" }
        kind = isPodman ? .podman : .docker
        version = try EngineJSON.bounded(wire.version ?? engine?.version ?? "", "Version", source: source)
        if let api = wire.apiVersion {
            apiVersion = try EngineJSON.bounded(api, "ApiVersion", source: source)
        } else {
            apiVersion = nil
        }
    }
}

/// The engine's answer could not be read. `source` is the request path ("/containers/json").
public enum EngineJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    case notJSON(source: String, detail: String)
    /// JSON, but not the shape the API documents: a missing or mistyped field.
    case unexpectedShape(source: String, detail: String)
    /// More than hoptrace reads: a field longer than `EngineContainer.fieldLimit`, a listing of
    /// more than `EngineContainer.listLimit` containers.
    case tooLarge(source: String, detail: String)

    public var description: String {
        switch self {
        case .notJSON(let source, let detail): "the engine's answer to GET \(source) is not JSON (\(detail))"
        case .unexpectedShape(let source, let detail): "unexpected answer to GET \(source): \(detail)"
        case .tooLarge(let source, let detail): "too large an answer to GET \(source): \(detail)"
        }
    }
}

// MARK: - Decoding

extension EngineContainer {
    /// One entry of `GET /containers/json`: everything but the PID, which only inspect gives.
    public struct Summary: Sendable, Hashable {
        public var id: String
        /// The first of `Names` that is no legacy link alias ("/other/alias"), without its "/".
        public var name: String
        public var image: String
        public var state: String
        public var networks: [EngineNetworkAttachment]
        public var ports: [EnginePortMapping]
    }

    /// `GET /containers/json` (running containers unless `all=1` was asked). At most `listLimit`.
    public static func list(fromContainersJSON json: Data) throws(EngineJSONError) -> [Summary] {
        let source = "/containers/json"
        let list = try EngineJSON.decode(BoundedList<WireSummary>.self, from: json, source: source)
        guard !list.overflowed else {
            throw .tooLarge(source: source, detail: "more than \(listLimit) containers, the most hoptrace reads")
        }
        var found: [Summary] = []
        for (index, wire) in list.elements.enumerated() {
            func field(_ name: String) -> String { "[\(index)].\(name)" }
            let names = try (wire.names ?? []).map { s throws(EngineJSONError) in try EngineJSON.bounded(s, field("Names"), source: source) }
                .map(Self.withoutSlash)
            var ports: [EnginePortMapping] = []
            for port in wire.ports ?? [] {
                // An exposed port nobody published has no PublicPort.
                guard let host = port.publicPort else { continue }
                guard let hostPort = UInt16(exactly: host), let inside = port.privatePort, let containerPort = UInt16(exactly: inside) else {
                    throw .unexpectedShape(source: source, detail: "'\(field("Ports"))' holds a port outside 0…65535 or none")
                }
                ports.append(EnginePortMapping(hostIP: try EngineJSON.text(port.ip, field("Ports.IP"), source: source), hostPort: hostPort,
                                               containerPort: containerPort, proto: try EngineJSON.bounded(port.type ?? "tcp", field("Ports.Type"), source: source)))
            }
            found.append(Summary(
                id: try EngineJSON.containerID(wire.id, field("Id"), source: source),
                name: names.first { !$0.contains("/") } ?? names.first ?? "",
                image: try EngineJSON.bounded(wire.image ?? "", field("Image"), source: source),
                state: try EngineJSON.bounded(wire.state ?? "", field("State"), source: source),
                networks: try EngineJSON.networks(wire.networkSettings?.networks, source: source),
                ports: ports.sorted()))
        }
        return found
    }

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

/// The `message` of an engine's error answer (`{"message":"No such container: x"}`), if the body
/// is such an object; at most `EngineContainer.fieldLimit` bytes of it.
public enum EngineErrorBody {
    public static func message(in body: Data) -> String? {
        struct Wire: Decodable { var message: String? }
        guard let message = (try? JSONDecoder().decode(Wire.self, from: body))?.message else { return nil }
        let bytes = Array(message.utf8)
        guard bytes.count > EngineContainer.fieldLimit else { return message }
        return String(decoding: bytes.prefix(EngineContainer.fieldLimit), as: UTF8.self) + "…"
    }
}

// MARK: - Resolving a name the user typed

/// What a word the user typed names among the containers.
public enum ContainerMatch: Sendable, Hashable {
    case one(EngineContainer)
    case none
    /// An ID prefix of several (or one name in two engines' lists), in the order given.
    case ambiguous([EngineContainer])
}

extension EngineContainer {
    /// The docker CLI's rules, exact name first: an exact name ("web" or "/web"), else an exact
    /// full ID, else a unique prefix of one ID (one hex digit is enough). So a container named
    /// like a prefix of another's ID is found by its name. Compared byte for byte: String's
    /// `==` would call two different spellings of "é" equal, and the engine would not.
    public static func match(_ text: String, in containers: [EngineContainer]) -> ContainerMatch {
        let name = withoutSlash(text)
        guard !name.isEmpty else { return .none }
        let byName = containers.filter { $0.name.utf8.elementsEqual(name.utf8) }
        if !byName.isEmpty { return decided(byName) }
        let byID = containers.filter { $0.id.utf8.elementsEqual(text.utf8) }
        if !byID.isEmpty { return decided(byID) }
        guard text.utf8.allSatisfy(EngineJSON.isLowerHex) else { return .none }
        let byPrefix = containers.filter { $0.id.utf8.starts(with: text.utf8) }
        return byPrefix.isEmpty ? .none : decided(byPrefix)
    }

    private static func decided(_ found: [EngineContainer]) -> ContainerMatch {
        found.count == 1 ? .one(found[0]) : .ambiguous(found)
    }
}

// MARK: - The wire format (Engine API 1.41; only the fields hoptrace reads)

/// A JSON list decoded up to `EngineContainer.listLimit` entries; `overflowed` if it holds more.
private struct BoundedList<Element: Decodable>: Decodable {
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

private struct WireNetwork: Decodable {
    var ipAddress: String?
    var gateway: String?
    var macAddress: String?
    var globalIPv6Address: String?

    enum CodingKeys: String, CodingKey {
        case ipAddress = "IPAddress", gateway = "Gateway", macAddress = "MacAddress", globalIPv6Address = "GlobalIPv6Address"
    }
}

private struct WirePortBinding: Decodable {
    var hostIP: String?
    var hostPort: String?

    enum CodingKeys: String, CodingKey {
        case hostIP = "HostIp", hostPort = "HostPort"
    }
}

private struct WireNetworkSettings: Decodable {
    /// null where a network's entry is null.
    var networks: [String: WireNetwork?]?
    /// Inspect only: "80/tcp" → bindings, null when exposed but not published.
    var ports: [String: [WirePortBinding]?]?

    enum CodingKeys: String, CodingKey {
        case networks = "Networks", ports = "Ports"
    }
}

private struct WireListPort: Decodable {
    var ip: String?
    var privatePort: Int?
    var publicPort: Int?
    var type: String?

    enum CodingKeys: String, CodingKey {
        case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type"
    }
}

private struct WireSummary: Decodable {
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

private struct WireInspect: Decodable {
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

private struct WireVersion: Decodable {
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

/// JSONDecoder's errors in the words of `EngineJSONError`, and the checks on decoded text.
private enum EngineJSON {
    static func decode<T: Decodable>(_ type: T.Type, from json: Data, source: String) throws(EngineJSONError) -> T {
        do {
            return try JSONDecoder().decode(type, from: json)
        } catch let error as DecodingError {
            throw failure(error, json: json, source: source)
        } catch {
            throw .notJSON(source: source, detail: "\(error)")
        }
    }

    private static func failure(_ error: DecodingError, json: Data, source: String) -> EngineJSONError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let start = String(decoding: json.prefix(40), as: UTF8.self)
            return .notJSON(source: source, detail: json.isEmpty ? "the body is empty" : "it starts \"\(start)\(json.count > 40 ? "…" : "")\"")
        case .dataCorrupted(let context):
            return .unexpectedShape(source: source, detail: "'\(path(context.codingPath))': \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            return .unexpectedShape(source: source, detail: "'\(path(context.codingPath + [key]))' is missing")
        case .valueNotFound(_, let context):
            return .unexpectedShape(source: source, detail: "'\(path(context.codingPath))' is null")
        case .typeMismatch(let type, let context):
            let what = context.codingPath.isEmpty ? "the answer" : "'\(path(context.codingPath))'"
            return .unexpectedShape(source: source, detail: "\(what) is not \(noun(type))")
        @unknown default:
            return .unexpectedShape(source: source, detail: "\(error)")
        }
    }

    /// "[2].NetworkSettings.Networks.bridge.IPAddress".
    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                out += "[\(index)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out
    }

    private static func noun(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Bool.self { return "true or false" }
        if type is any BinaryInteger.Type { return "an integer" }
        // JSONDecoder names the containers it expected [Any] and [String: Any].
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "of the documented type"
    }

    /// `text`, refused past `EngineContainer.fieldLimit` bytes.
    static func bounded(_ text: String, _ field: String, source: String) throws(EngineJSONError) -> String {
        let count = text.utf8.count
        guard count <= EngineContainer.fieldLimit else {
            throw .tooLarge(source: source, detail: "'\(field)' holds \(count) bytes, more than the \(EngineContainer.fieldLimit) hoptrace reads")
        }
        return text
    }

    /// An optional address or similar: bounded, and "" becomes nil.
    static func text(_ text: String?, _ field: String, source: String) throws(EngineJSONError) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return try bounded(text, field, source: source)
    }

    /// 64 lowercase hex digits, as Docker and Podman write IDs (and nothing a path could misread).
    static func containerID(_ id: String, _ field: String, source: String) throws(EngineJSONError) -> String {
        guard id.utf8.count == 64, id.utf8.allSatisfy(isLowerHex) else {
            throw .unexpectedShape(source: source, detail: "'\(field)' is not a 64-digit hex container ID")
        }
        return id
    }

    static func isLowerHex(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
    }

    /// `NetworkSettings.Networks`, sorted by name; a null entry counts as attached with no addresses.
    static func networks(_ wire: [String: WireNetwork?]?, source: String) throws(EngineJSONError) -> [EngineNetworkAttachment] {
        var out: [EngineNetworkAttachment] = []
        for (name, network) in wire ?? [:] {
            let field = "NetworkSettings.Networks"
            out.append(EngineNetworkAttachment(
                network: try bounded(name, field, source: source),
                ipAddress: try text(network?.ipAddress, field + ".IPAddress", source: source),
                gateway: try text(network?.gateway, field + ".Gateway", source: source),
                macAddress: try text(network?.macAddress, field + ".MacAddress", source: source),
                ipv6: try text(network?.globalIPv6Address, field + ".GlobalIPv6Address", source: source)))
        }
        return out.sorted { $0.network.utf8.lexicographicallyPrecedes($1.network.utf8) }
    }
}
