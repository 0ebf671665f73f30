import Foundation
import HoptraceCore

/// The demo lab: builds, changes and removes the articles' topology inside
/// namespaces it owns. It never runs a command in the machine's own namespace
/// that changes anything: every `ip` call names a lab namespace (`-n`/`netns exec`).
public struct Lab: Sendable {
    public let topology: LabTopology
    let runner = CommandRunner()
    let ownership: LabOwnership
    /// Progress lines (what was made or changed), for the CLI to print.
    public var log: @Sendable (String) -> Void

    public init(topology: LabTopology, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.topology = topology
        self.ownership = LabOwnership(prefix: topology.prefix)
        self.log = log
    }

    public var isUp: Bool { ownership.ownedNamespaces().contains(topology.host) && Self.namespaceExists(topology.host) }

    static func namespaceExists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: NetworkNamespace(name).path)
    }

    static func requireRoot() throws {
        guard geteuid() == 0 else { throw LabError.notRoot }
    }

    // MARK: up / down

    /// Builds whatever is missing; with a scenario, resets the rules to it. Safe to run twice.
    public func up(scenario: LabScenario?) throws {
        try Self.requireRoot()
        for tool in ["ip", "iptables", "sysctl"] { _ = try CommandRunner.locate(tool) }
        let fresh = !isUp
        for ns in topology.namespaces {
            if Self.namespaceExists(ns) {
                guard ownership.ownedNamespaces().contains(ns) else { throw LabError.foreignNamespace(ns) }
                continue
            }
            try ownership.claim(ns)
            try runner.run(["ip", "netns", "add", ns])
            log("made namespace \(ns)")
        }
        try execute(LabPlan.build(topology))
        if let scenario = scenario ?? (fresh ? .s2 : nil) {
            try apply(scenario.settings)
            log("scenario \(scenario.rawValue): \(scenario.summary)")
        }
    }

    /// Removes the namespaces this lab made (and the processes in them), nothing else.
    public func down() throws {
        try Self.requireRoot()
        let owned = ownership.ownedNamespaces()
        for ns in owned.reversed() where Self.namespaceExists(ns) {
            stopProcesses(in: ns)
            try runner.run(["ip", "netns", "del", ns])
            log("removed namespace \(ns)")
        }
        ownership.release()
    }

    /// SIGTERM, then SIGKILL for whatever still runs after a second: a process
    /// left inside would keep the deleted namespace (and its addresses) alive.
    func stopProcesses(in ns: String) {
        func pids() -> [pid_t] {
            ((try? runner.result(["ip", "netns", "pids", ns]).stdout) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
        var left = pids()
        for pid in left { kill(pid, SIGTERM) }
        for _ in 0..<10 where !left.isEmpty {
            usleep(100_000)
            left = pids()
        }
        for pid in left { kill(pid, SIGKILL) }
    }

    // MARK: settings

    public func apply(_ settings: LabSettings) throws {
        try requireUp()
        try execute(LabPlan.resetRules(topology) + LabPlan.apply(settings, topology))
        for port in settings.published { try startServer(port: port) }
    }

    public func set(_ toggle: LabToggle) throws {
        try requireUp()
        try execute(LabPlan.actions(for: toggle, topology))
        if case .publish(let port, true) = toggle { try startServer(port: port) }
        if case .publish(let port, false) = toggle { stopServer(port: port) }
    }

    func requireUp() throws {
        try Self.requireRoot()
        guard isUp else { throw LabError.notUp(prefix: topology.prefix) }
    }

    func execute(_ actions: [LabAction]) throws {
        for action in actions {
            switch action {
            case .run(let argv):
                try runner.run(argv)
            case .unless(let check, let create):
                if try !runner.result(check).succeeded { try runner.run(create) }
            case .rule(let rule, let present, let ns):
                let exec = ["ip", "netns", "exec", ns]
                let exists = { try runner.result(exec + rule.argv("-C")).succeeded }
                if present {
                    if try !exists() { try runner.run(exec + rule.argv("-A")) }
                } else {
                    // A rule added twice by hand is deleted twice; bounded in case -D lies.
                    for _ in 0..<16 {
                        guard try exists() else { break }
                        try runner.run(exec + rule.argv("-D"))
                    }
                }
            }
        }
    }

    // MARK: the published port's server

    func serverPidFile(port: UInt16) -> String { ownership.directory + "/\(topology.prefix)-serve-\(port).pid" }

    func startServer(port: UInt16) throws {
        let pidFile = serverPidFile(port: port)
        // Running only if the pid still names the process that wrote the file (ServerPidFile).
        if ServerPidFile.read(pidFile)?.runningServer() != nil { return }
        try? FileManager.default.removeItem(atPath: pidFile)
        let me = try Self.executablePath()
        try runner.spawnDetached(["setsid", "-f", "ip", "netns", "exec", topology.ns1, me, "lab", "serve",
                        "--port", String(port), "--pid-file", pidFile])
        // The server writes its pid file once it listens; wait for that, briefly.
        for _ in 0..<50 {
            if ServerPidFile.read(pidFile) != nil {
                log("serving tcp/\(port) in \(topology.ns1)")
                return
            }
            usleep(100_000)
        }
        throw LabError.probeFailed("the test server for tcp/\(port) in \(topology.ns1) did not start within 5 s")
    }

    /// SIGTERM to the server, but only if the pid file's pid still names it (same start time):
    /// a stale file's pid may belong to any process by now. Either way the file goes.
    func stopServer(port: UInt16) {
        let pidFile = serverPidFile(port: port)
        guard FileManager.default.fileExists(atPath: pidFile) else { return }
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        guard let recorded = ServerPidFile.read(pidFile), recorded.runningServer() != nil else {
            log("the test server for tcp/\(port) in \(topology.ns1) is gone; nothing to stop")
            return
        }
        kill(recorded.pid, SIGTERM)
        log("stopped the test server for tcp/\(port) in \(topology.ns1)")
    }

    static func executablePath() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    // MARK: traffic

    /// A `--to` destination as the address it must be: text such as `-x` or `-f` would
    /// otherwise reach ping (or the probe) as an option. Returns the address as printed by
    /// `IPAddress`, so what is passed on is only digits, dots, colons and hex.
    public static func destination(_ text: String) throws -> String {
        guard let address = IPAddress(text) else { throw LabError.invalidAddress(text) }
        return address.description
    }

    /// `ping` from one lab namespace; its own output is returned, its exit status tells success.
    public func ping(from role: String, to address: String, count: Int, interval: Double = 0.2) throws -> CommandResult {
        let address = try Self.destination(address)
        try requireUp()
        let ns = try topology.namespace(named: role)
        // `--` ends ping's options (getopt): the address is never read as one.
        return try runner.result(["ip", "netns", "exec", ns, "ping", "-n", "-c", String(count),
                                  "-i", String(interval), "-W", "1", "--", address])
    }

    /// A TCP connection from one lab namespace, made by this binary's `lab probe`.
    public func connect(from role: String, to address: String, port: UInt16, timeout: Int = 3) throws -> CommandResult {
        let address = try Self.destination(address)
        try requireUp()
        let ns = try topology.namespace(named: role)
        // `--to=ADDRESS`, one word: the value can never be taken for an option of its own.
        return try runner.result(["ip", "netns", "exec", ns, try Self.executablePath(), "lab", "probe",
                                  "--to=\(address)", "--port", String(port), "--timeout", String(timeout)])
    }
}
