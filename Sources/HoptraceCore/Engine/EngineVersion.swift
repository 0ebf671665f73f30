import Foundation

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
