import Foundation
import HoptraceCapture
import HoptraceCore

/// `hoptrace ns`: the machine's namespaces with their containers and interfaces.
public enum NamespaceReport {
    /// Namespaces whose interfaces are read, at most (each costs six `ip` runs).
    static let interfaceLimit = 512

    public static func run(dockerHost: String?, interfaces: Bool) throws {
        let read = try InventoryReader.read(dockerHost: dockerHost, environment: ProcessInfo.processInfo.environment)
        for w in read.warnings { Console.err("hoptrace: \(w)") }
        for e in read.engines { Console.out("# \(e.kind.rawValue) \(e.version) at \(e.endpoint.socketPath)") }
        read.inventory.registerAliases()
        var topology: Topology?
        if interfaces {
            topology = Self.topology(read.inventory.entries.prefix(interfaceLimit).map { $0.isOwn ? nil : $0.displayName })
            if read.inventory.entries.count > interfaceLimit {
                Console.err("hoptrace: interfaces read for the first \(interfaceLimit) of \(read.inventory.entries.count) namespaces")
            }
        }
        for line in NamespaceListing.lines(read.inventory, topology: topology) { Console.out(line) }
    }

    /// Each namespace read on its own (one that vanished or refuses is left out, not fatal).
    static func topology(_ names: [String?]) -> Topology? {
        let sources = names.compactMap { try? TopologyDiscovery.sources(namespaces: [$0]).first }
        return try? TopologyDiscovery.topology(sources)
    }
}
