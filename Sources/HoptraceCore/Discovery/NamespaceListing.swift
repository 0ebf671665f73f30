/// `hoptrace ns`: every namespace as a block — what names it, then its interfaces with their
/// addresses, masters and veth peers (by the names `-i` takes). Pure; text from engines and
/// `ip` is escaped by the caller's `Console`.
public enum NamespaceListing {
    public static func lines(_ inventory: NamespaceInventory, topology: Topology?) -> [String] {
        var out: [String] = []
        for e in inventory.entries {
            out.append("\(e.displayName ?? "(this namespace)")  inode \(e.inode)")
            for what in describe(e) { out.append("  " + what) }
            guard let topology else { continue }
            guard let ns = topology.namespace(e.isOwn ? nil : e.displayName) else {
                out.append("  (interfaces not read)")
                continue
            }
            for link in ns.interfaces.sorted(by: { $0.index < $1.index }) where link.kind != .loopback {
                out.append("  " + interfaceLine(link, at: CapturePoint(netns: ns.name, iface: link.name), topology))
            }
        }
        return out
    }

    /// "docker container web (image busybox, id 3f2a1b4c5d6e)", "named /run/netns/hthost",
    /// "pid 812 (dockerd), 6 processes".
    static func describe(_ e: NamespaceInventory.Entry) -> [String] {
        var lines: [String] = []
        for c in e.containers {
            let image = c.container.image.isEmpty ? "" : "image \(c.container.image), "
            lines.append("\(c.engine.rawValue) container \(c.container.name) (\(image)id \(c.container.shortID))")
        }
        for n in e.names { lines.append("named \(NetworkNamespace.namedPath(n))") }
        if let p = e.process {
            lines.append("pid \(p.pid) (\(p.comm))" + (p.count > 1 ? ", \(p.count) processes" : ""))
        } else if e.names.isEmpty {
            lines.append("no process inside")
        }
        return lines
    }

    /// "veth3f2a1b4 (veth, master docker0, down) ↔ web:eth0", "eth0 172.17.0.2/16 (veth) ↔ htdkhost:veth3f2a1b4".
    static func interfaceLine(_ link: NetworkInterface, at point: CapturePoint, _ topology: Topology) -> String {
        var s = link.name
        let addresses = link.addresses.filter { $0.scope != .link }.map(\.description)
        if !addresses.isEmpty { s += " " + addresses.joined(separator: " ") }
        var facts = [link.kind.rawValue]
        if let m = link.master { facts.append("master \(m)") }
        if !link.isUp { facts.append("down") }
        s += " (\(facts.joined(separator: ", ")))"
        if let far = topology.peer(of: point) {
            s += " ↔ \(far.netns ?? "(this namespace)"):\(far.iface)"
        } else if let name = topology.unwatchedPeerNamespace(of: point) {
            s += " ↔ \(name)"
        }
        return s
    }
}
