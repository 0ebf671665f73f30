/// A network namespace other than hoptrace's own, as the user named it: a name under /run/netns
/// (what `ip netns add` makes) or the path of a namespace file (`/proc/PID/ns/net`, a bind mount).
/// Why one type: turning that argument into the file to enter, and into the words that run a
/// command inside, used to be copied into every edge; now it is decided here, once.
///
/// hoptrace's own namespace is `nil` at call sites (`NetworkNamespace?`): nothing to enter, no
/// prefix.
public struct NetworkNamespace: Sendable, Hashable, CustomStringConvertible {
    /// Where `ip netns add` puts a named namespace's file.
    static let namedDirectory = "/run/netns/"

    /// The argument as the user gave it.
    public let argument: String

    /// `argument` is a path when it starts with `/`; anything else, slashes and quotes included,
    /// is a name (`ip netns` refuses such names, so entering one fails with "not found").
    public init(_ argument: String) {
        self.argument = argument
    }

    /// The name under /run/netns; nil for a namespace given by path.
    public var name: String? { argument.hasPrefix("/") ? nil : argument }

    /// The namespace file to enter (setns, `nsenter --net=`).
    public var path: String { name.map { Self.namedDirectory + $0 } ?? argument }

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
}
