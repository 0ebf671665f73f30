/// Every network namespace on the machine, by inode, with what names it: /run/netns names,
/// containers, and the processes inside (as `lsns -t net`). Pure: `NamespaceScan` and
/// `EngineClient` read the parts; this joins them and answers "which namespace is `web`?".
public struct NamespaceInventory: Sendable {
    public struct Named: Sendable, Equatable {
        public var name: String
        public var inode: UInt64
        public init(name: String, inode: UInt64) {
            self.name = name
            self.inode = inode
        }
    }

    /// The lowest-numbered process in a namespace, and how many it holds.
    public struct Process: Sendable, Equatable {
        public var pid: Int32
        public var comm: String
        public var inode: UInt64
        public var count: Int
        public init(pid: Int32, comm: String, inode: UInt64, count: Int) {
            self.pid = pid
            self.comm = comm
            self.inode = inode
            self.count = count
        }
    }

    /// A running container and the inode of its /proc/PID/ns/net.
    public struct Container: Sendable, Equatable {
        public var container: EngineContainer
        public var engine: ContainerEngineKind
        public var inode: UInt64
        public init(_ container: EngineContainer, engine: ContainerEngineKind, inode: UInt64) {
            self.container = container
            self.engine = engine
            self.inode = inode
        }
        /// The file to enter while it runs.
        public var path: String? { container.namespacePath }
    }

    public struct Entry: Sendable {
        public let inode: UInt64
        /// hoptrace's own namespace (capture points without a netns).
        public let isOwn: Bool
        /// Its names under /run/netns.
        public internal(set) var names: [String] = []
        public internal(set) var containers: [Container] = []
        public internal(set) var process: Process?
        /// What capture points, panes and NDJSON call it (nil: hoptrace's own namespace): a
        /// container's name, else its /run/netns name, else `/proc/PID/ns/net`.
        public internal(set) var displayName: String?

        /// The file to enter: the /run/netns one when it has a name, else a process's.
        public var path: String? {
            if let n = names.first { return NetworkNamespace.namedPath(n) }
            if let c = containers.first?.path { return c }
            return process.map { NetworkNamespace.processPath($0.pid) }
        }
    }

    public let entries: [Entry]

    /// Containers whose name is also a /run/netns name of another namespace keep their
    /// `/proc/PID/ns/net` as display name: the named namespace wins that word.
    public init(own: UInt64?, named: [Named], processes: [Process], containers: [Container]) {
        var byInode: [UInt64: Entry] = [:]
        func entry(_ inode: UInt64) -> Entry { byInode[inode] ?? Entry(inode: inode, isOwn: inode == own) }
        for n in named { var e = entry(n.inode); e.names.append(n.name); byInode[n.inode] = e }
        for p in processes { var e = entry(p.inode); e.process = p; byInode[p.inode] = e }
        for c in containers { var e = entry(c.inode); e.containers.append(c); byInode[c.inode] = e }
        let namedWords = Set(named.map(\.name))
        // A display name is taken once (two engines may each run a `web`): the later namespace,
        // by inode, keeps its path instead, so no name ever means two namespaces.
        var taken = namedWords
        for inode in byInode.keys.sorted() {
            guard var e = byInode[inode] else { continue }
            e.names.sort()
            e.containers.sort { $0.container.name < $1.container.name }
            if e.isOwn {
                e.displayName = nil
            } else if let c = e.containers.first(where: { !taken.contains($0.container.name) && NetworkNamespace.isValidAlias($0.container.name) }) {
                e.displayName = c.container.name
            } else {
                e.displayName = e.names.first ?? e.path
            }
            if let name = e.displayName { taken.insert(name) }
            byInode[inode] = e
        }
        // Own first, then named, containers, the rest; each by display name.
        entries = byInode.values.sorted { a, b in
            func rank(_ e: Entry) -> Int { e.isOwn ? 0 : !e.names.isEmpty ? 1 : !e.containers.isEmpty ? 2 : 3 }
            return (rank(a), a.displayName ?? "", a.inode) < (rank(b), b.displayName ?? "", b.inode)
        }
    }

    public func entry(inode: UInt64) -> Entry? { entries.first { $0.inode == inode } }

    /// Every container, with the entry holding it.
    public var containers: [(Container, Entry)] {
        entries.flatMap { e in e.containers.map { ($0, e) } }
    }

    public enum Resolution: Sendable, Equatable {
        /// A /run/netns name (unchanged: it is what it always meant).
        case named(String)
        /// A container: the name its namespace goes by and the file behind it.
        case container(displayName: String, path: String)
        /// A container that shares hoptrace's own namespace (`--network host`).
        case own
        /// Several containers match (an ID prefix, or one name in two engines): their names.
        case ambiguous([String])
        case unknown
    }

    /// What `-i TEXT:eth0` / `--container TEXT` means: a /run/netns name wins, then a container
    /// by exact name, exact ID or unique ID prefix (as the docker CLI matches them).
    public func resolve(_ text: String) -> Resolution {
        if entries.contains(where: { $0.names.contains(text) }) { return .named(text) }
        let all = containers
        switch EngineContainer.match(text, in: all.map(\.0.container)) {
        case .one(let c):
            guard let (_, e) = all.first(where: { $0.0.container == c }) else { return .unknown }
            if e.isOwn { return .own }
            guard let name = e.displayName, let path = e.path else { return .unknown }
            return .container(displayName: name, path: path)
        case .ambiguous(let many):
            return .ambiguous(many.map(\.name).sorted())
        case .none:
            return .unknown
        }
    }

    /// Makes every container namespace's display name enter its namespace (`NetworkNamespace`
    /// aliases), so capture points, `ip` and nsenter reach it by that name. `pin` may turn the
    /// namespace file into one that stays openable (an fd hoptrace holds: see `NamespacePin`).
    public func registerAliases(pin: (String) -> String = { $0 }) {
        for e in entries {
            guard let name = e.displayName, !name.hasPrefix("/"), !e.names.contains(name), let path = e.path else { continue }
            NetworkNamespace.register(alias: name, path: pin(path), shownPath: path)
        }
    }
}
