import Foundation
import HoptraceCapture
import HoptraceCore

/// Turns containers the user named into capture points: `-i web:eth0` where `web` is a container
/// (a /run/netns name wins), `--container web` (its interfaces and the path out), `--docker`
/// (every running container, their bridges and the uplink). Points are named by the
/// container's name, which from then on enters its namespace (`NetworkNamespace` aliases).
public struct ContainerTargets {
    public var containers: [String] = []
    public var allContainers = false
    public var dockerHost: String?
    /// `--netns NS`: every interface that is up there (NS may be a container too).
    public var namespaces: [String] = []

    public init(containers: [String] = [], allContainers: Bool = false, dockerHost: String? = nil, namespaces: [String] = []) {
        self.containers = containers
        self.allContainers = allContainers
        self.dockerHost = dockerHost
        self.namespaces = namespaces
    }

    /// Whether a namespace name needs the inventory: not a path, and nothing under /run/netns.
    private static func unnamed(_ ns: String) -> Bool {
        !ns.hasPrefix("/") && NamespaceScan.inode(of: NetworkNamespace(ns).path) == nil
    }

    /// `--netns NS`: its interfaces that are up, or an error saying there are none.
    private static func interfaces(in ns: String?) throws -> [CapturePoint] {
        let found = try InterfaceDiscovery.capturePoints(in: ns.map { NetworkNamespace($0) })
        guard !found.isEmpty else {
            throw CaptureError.pcap(point: ns ?? "(this namespace)", function: "pcap_findalldevs", message: "no interface is up in namespace \(ns ?? "(this one)")")
        }
        return found
    }

    /// What the user named, as points, and the containers to keep an eye on while the run lasts.
    public struct Resolved {
        public var points: [CapturePoint]
        /// nil when no engine was asked (nothing named a container).
        public var watch: ContainerWatch?
        /// The docker-proxy processes found (their flows are paired, not called vanished).
        public var proxies: [UserlandProxy] = []
    }

    /// `points` with container names resolved, then the points `--container` / `--docker` add.
    /// The inventory is read only when something needs it.
    public func resolve(_ points: [CapturePoint]) throws -> Resolved {
        let unnamed = points.filter { p in p.netns.map(Self.unnamed) ?? false }
        guard !unnamed.isEmpty || namespaces.contains(where: Self.unnamed) || !containers.isEmpty || allContainers || dockerHost != nil else {
            var out = points
            for ns in namespaces { out += try Self.interfaces(in: ns).filter { !out.contains($0) } }
            return Resolved(points: out)
        }
        let read = try InventoryReader.read(dockerHost: dockerHost, environment: ProcessInfo.processInfo.environment)
        for w in read.warnings { Console.err("hoptrace: \(w)") }
        let inventory = read.inventory
        inventory.registerAliases(pin: NamespacePin.pin)
        let points = try self.points(points, unnamed: unnamed, inventory, read)
        let running = inventory.containers.map(\.0)
        let watch = ContainerWatch(endpoints: read.engines.map(\.endpoint), kinds: read.engines.map(\.kind),
                                   running: running.map { .init(id: $0.container.id, name: $0.container.name, engine: $0.engine) })
        let own = NamespaceScan.own()
        // A proxy in a namespace without a name here is left out: nil would mean hoptrace's own.
        let proxies = ProxyScan.proxies { inode in
            inode == own ? .some(nil) : inventory.entry(inode: inode)?.displayName.map { .some($0) }
        }
        return Resolved(points: points, watch: read.engines.isEmpty ? nil : watch, proxies: proxies)
    }

    private func points(_ points: [CapturePoint], unnamed: [CapturePoint], _ inventory: NamespaceInventory,
                        _ read: InventoryReader.Result) throws -> [CapturePoint] {

        var out: [CapturePoint] = []
        func add(_ p: CapturePoint) { if !out.contains(p) { out.append(p) } }
        for p in points {
            guard unnamed.contains(p), let ns = p.netns else { add(p); continue }
            add(CapturePoint(netns: try Self.container(ns, in: inventory, read), iface: p.iface))
        }
        for ns in namespaces {
            let name = Self.unnamed(ns) ? try Self.container(ns, in: inventory, read) : ns
            try Self.interfaces(in: name).forEach(add)
        }
        var names: [String?] = try containers.map { try Self.container($0, in: inventory, read) }
        if allContainers {
            names += inventory.entries.filter { !$0.containers.isEmpty && !$0.isOwn }.map(\.displayName)
            if names.isEmpty { Console.err("hoptrace: --docker: no running container\(read.engines.isEmpty ? " (no engine answered)" : "")") }
        }
        guard !names.isEmpty else { return out }
        // Where the containers' veths end: this namespace or a named one (a lab host).
        let hosts: [String?] = [nil] + inventory.entries.filter { !$0.names.isEmpty }.prefix(CaptureBudget.maxPoints).map(\.displayName)
        var namespaces: [String?] = []
        for n in names + hosts where !namespaces.contains(n) { namespaces.append(n) }
        let topology = NamespaceReport.topology(namespaces)
        for name in names {
            let path = topology.map { ContainerPath.points(of: name, in: $0) } ?? []
            guard !path.isEmpty else {
                throw CaptureError.topology("container \(name ?? "in this namespace"): no interface found that is up in its namespace")
            }
            path.forEach(add)
        }
        return out
    }

    /// The name a container's namespace goes by (nil: hoptrace's own, a `--network host`
    /// container's), or an error that says what exists.
    static func container(_ text: String, in inventory: NamespaceInventory, _ read: InventoryReader.Result) throws -> String? {
        switch inventory.resolve(text) {
        case .named(let n):
            return n
        case .container(let name, _):
            return name
        case .own:
            return nil
        case .ambiguous(let names):
            throw ValidationFailure("'\(text)' matches several containers: \(names.joined(separator: ", ")); give the full name")
        case .unknown:
            let known = inventory.containers.map(\.0.container.name).sorted()
            let engines = read.engines.isEmpty ? "no container engine answered"
                : "containers: \(known.isEmpty ? "none running" : known.joined(separator: ", "))"
            throw ValidationFailure("network namespace not found: \(NetworkNamespace.namedPath(text)), and no container is named '\(text)' (\(engines); 'hoptrace ns' lists every namespace)")
        }
    }
}

/// A user's input that names nothing: its text is the whole message.
public struct ValidationFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
