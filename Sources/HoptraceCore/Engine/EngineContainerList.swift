import Foundation

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
}
