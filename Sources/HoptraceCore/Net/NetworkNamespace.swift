import Synchronization

/// A network namespace other than hoptrace's own, as the user named it: a name under /run/netns
/// (what `ip netns add` makes), the path of a namespace file (`/proc/PID/ns/net`, a bind mount),
/// or a name hoptrace gave one that has none of its own (a container's: `register(alias:path:)`).
/// Why one type: turning that argument into the file to enter, and into the words that run a
/// command inside, used to be copied into every edge; now it is decided here, once.
///
/// hoptrace's own namespace is `nil` at call sites (`NetworkNamespace?`): nothing to enter, no
/// prefix.
public struct NetworkNamespace: Sendable, Hashable, CustomStringConvertible {
    /// Where `ip netns add` puts a named namespace's file (discovery lists the directory).
    public static let namedDirectory = "/run/netns"
    /// hoptrace's own namespace's file.
    public static let ownPath = "/proc/self/ns/net"

    /// The file of the namespace `ip netns add NAME` made.
    public static func namedPath(_ name: String) -> String { namedDirectory + "/" + name }

    /// The file of process `pid`'s namespace (a container's, any process's).
    public static func processPath(_ pid: Int32) -> String { "/proc/\(pid)/ns/net" }

    /// The argument as the user gave it.
    public let argument: String
    /// The file behind an alias (`web` → `/proc/1234/ns/net`, or the descriptor hoptrace holds
    /// on it), fixed when the value is made.
    private let aliasPath: String?
    /// The alias's file as a user can open it after hoptrace ends (what suggested commands name).
    private let aliasShownPath: String?

    /// `argument` is a path when it starts with `/`; a registered alias is its namespace file;
    /// anything else, slashes and quotes included, is a name (`ip netns` refuses such names, so
    /// entering one fails with "not found").
    public init(_ argument: String) {
        self.argument = argument
        let alias = argument.hasPrefix("/") ? nil : Self.aliases.withLock { $0[argument] }
        aliasPath = alias?.enter
        aliasShownPath = alias?.shown
    }

    /// The name under /run/netns; nil for a namespace given by path or by alias.
    public var name: String? { argument.hasPrefix("/") || aliasPath != nil ? nil : argument }

    /// The namespace file to enter (setns, `nsenter --net=`).
    public var path: String { aliasPath ?? name.map(Self.namedPath) ?? argument }

    /// The namespaces hoptrace named itself, for the life of the process: a container's
    /// namespace has no name under /run/netns, and every edge (capture threads, `ip`, nsenter,
    /// topology) turns capture points' `netns` strings into namespaces the same way, so the
    /// container's name is made to mean its `/proc/PID/ns/net` here, once.
    private static let aliases = Mutex<[String: (enter: String, shown: String)]>([:])

    /// Makes `alias` (a container's name) mean the namespace file `path` from now on (a
    /// restarted container's new PID replaces the old); `shownPath` is the file suggested commands
    /// name when `path` is hoptrace's own descriptor. A name under /run/netns wins, and two
    /// engines' containers may share a name: callers resolve first (`NamespaceInventory`).
    /// Refuses (false) what cannot be an alias: empty, a path, or text with `:` (which would
    /// split a capture point) — an engine's names are data from outside.
    @discardableResult
    public static func register(alias: String, path: String, shownPath: String? = nil) -> Bool {
        guard isValidAlias(alias) else { return false }
        aliases.withLock { $0[alias] = (path, shownPath ?? path) }
        return true
    }

    public static func isValidAlias(_ alias: String) -> Bool {
        !alias.isEmpty && !alias.hasPrefix("/") && !alias.contains(":") && alias.utf8.count <= 255
    }

    /// Whether `alias` was registered (a container's name, not a /run/netns one).
    public var isAlias: Bool { aliasPath != nil }

    /// What capture points, panes and NDJSON show: the argument as given.
    public var displayName: String { argument }

    public var description: String { displayName }

    /// iproute2 enters a named namespace itself: `ip -n NAME …`. nil for a path, which `ip -n`
    /// cannot take (it only looks under /run/netns).
    public var ipArguments: [String]? { name.map { ["-n", $0] } }

    /// The words that run a command inside: `nsenter --net=PATH`, for names and paths alike.
    /// nsenter only enters the namespace; `ip netns exec` would also make a mount namespace and
    /// remount /sys, which hoptrace's own nft and iptables runs do not need.
    public var enterArgv: [String] { ["nsenter", "--net=" + path] }

    /// `command` run inside: `ip -n NAME …` when it is iproute2's `ip` and the namespace has a
    /// name (shorter, and what a user would type), otherwise `nsenter --net=PATH command`.
    public func argv(running command: [String]) -> [String] {
        if command.first == "ip", let ip = ipArguments { return ["ip"] + ip + command.dropFirst() }
        return enterArgv + command
    }

    /// `argv(running:)` as a user pastes it, after hoptrace has ended: a container's namespace
    /// by its `/proc/PID/ns/net`, never by a descriptor of hoptrace's.
    public func pasteArgv(running command: [String]) -> [String] {
        guard let shown = aliasShownPath else { return argv(running: command) }
        return ["nsenter", "--net=" + shown] + command
    }
}
