import Glibc
import HoptraceCore

/// Reads the machine's namespaces and the engines' containers into one `NamespaceInventory`.
public enum InventoryReader {
    /// The engines asked: the one named (`--docker-host`, DOCKER_HOST) or the default Docker
    /// socket, and Podman's service socket when it exists. An engine that was named and does not
    /// answer is an error; a default one that is absent is not (most machines have none).
    public struct Result: Sendable {
        public var inventory: NamespaceInventory
        /// Engines that answered: kind, version and socket.
        public var engines: [(kind: ContainerEngineKind, version: String, endpoint: EngineEndpoint)]
        /// Engines asked that did not answer, and containers skipped, in words.
        public var warnings: [String]
    }

    static let podmanSocket = "/run/podman/podman.sock"

    public static func read(dockerHost: String?, environment: [String: String]) throws -> Result {
        let named = dockerHost != nil || environment["DOCKER_HOST"] != nil
        var sockets = [try EngineEndpoint.resolve(dockerHost: dockerHost, environment: environment)]
        if !named, access(podmanSocket, F_OK) == 0 {
            sockets.append(EngineEndpoint(socketPath: podmanSocket, origin: .standard))
        }
        var containers: [NamespaceInventory.Container] = []
        var engines: [(kind: ContainerEngineKind, version: String, endpoint: EngineEndpoint)] = []
        var warnings: [String] = []
        for endpoint in sockets {
            let client = EngineClient(endpoint: endpoint)
            do {
                let (kind, version) = try client.version()
                engines.append((kind, version, endpoint))
                for c in try client.containers() {
                    guard let pid = c.pid, let inode = NamespaceScan.inode(of: NetworkNamespace.processPath(pid)) else {
                        warnings.append("container \(c.name): no running process (state \(c.state))")
                        continue
                    }
                    containers.append(.init(c, engine: kind, inode: inode))
                }
            } catch {
                // The default socket missing is the usual machine without Docker: say nothing.
                if named || access(endpoint.socketPath, F_OK) == 0 { warnings.append("\(error)") }
                if named { throw error }
            }
        }
        let inventory = NamespaceInventory(own: NamespaceScan.own(), named: NamespaceScan.named(),
                                           processes: NamespaceScan.processes(), containers: containers)
        return Result(inventory: inventory, engines: engines, warnings: warnings)
    }
}
