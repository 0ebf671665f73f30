import HoptraceCore
import Testing

/// A user's namespace argument becomes a path, a shown name and the words that run a command
/// inside, the same way wherever hoptrace enters a namespace.
@Suite struct NetworkNamespaceTests {
    @Test func aNameLivesUnderRunNetns() {
        let ns = NetworkNamespace("htns1")
        #expect(ns.name == "htns1")
        #expect(ns.path == "/run/netns/htns1")
        #expect(ns.displayName == "htns1" && ns.description == "htns1")
    }

    /// The only place namespace files are named: discovery lists and reads them through these.
    @Test func theNamespaceFilesAreNamedHereOnly() {
        #expect(NetworkNamespace.namedDirectory == "/run/netns")
        #expect(NetworkNamespace.namedPath("htns1") == NetworkNamespace("htns1").path)
        #expect(NetworkNamespace.processPath(42) == "/proc/42/ns/net")
        #expect(NetworkNamespace.ownPath == "/proc/self/ns/net")
    }

    @Test func aPathIsTakenAsGiven() {
        let ns = NetworkNamespace("/proc/42/ns/net")
        #expect(ns.name == nil)
        #expect(ns.path == "/proc/42/ns/net")
        // Shown as the user typed it, like a name: capture points and NDJSON keep the argument.
        #expect(ns.displayName == "/proc/42/ns/net" && "\(ns)" == "/proc/42/ns/net")
    }

    @Test func onlyALeadingSlashMakesAPath() {
        let relative = NetworkNamespace("run/netns/x")
        #expect(relative.name == "run/netns/x")
        #expect(relative.path == "/run/netns/run/netns/x")
        #expect(relative.ipArguments == ["-n", "run/netns/x"])
        #expect(NetworkNamespace("./ns").name == "./ns")
    }

    @Test func ipEntersANamedNamespaceItself() {
        #expect(NetworkNamespace("htns1").ipArguments == ["-n", "htns1"])
        #expect(NetworkNamespace("htns1").argv(running: ["ip", "-j", "addr", "show"]) == ["ip", "-n", "htns1", "-j", "addr", "show"])
        // `ip -n` takes names only: a path gets nsenter, ip included.
        let path = NetworkNamespace("/proc/42/ns/net")
        #expect(path.ipArguments == nil)
        #expect(path.argv(running: ["ip", "-j", "addr", "show"]) == ["nsenter", "--net=/proc/42/ns/net", "ip", "-j", "addr", "show"])
    }

    @Test func otherCommandsRunThroughNsenter() {
        #expect(NetworkNamespace("htns1").enterArgv == ["nsenter", "--net=/run/netns/htns1"])
        #expect(NetworkNamespace("/proc/42/ns/net").enterArgv == ["nsenter", "--net=/proc/42/ns/net"])
        #expect(NetworkNamespace("hthost").argv(running: ["nft", "list", "tables"])
                == ["nsenter", "--net=/run/netns/hthost", "nft", "list", "tables"])
        // `ip` only as the command's first word: an argument named ip is not iproute2.
        #expect(NetworkNamespace("hthost").argv(running: ["sh", "-c", "ip"]) == ["nsenter", "--net=/run/netns/hthost", "sh", "-c", "ip"])
        #expect(NetworkNamespace("hthost").argv(running: []) == ["nsenter", "--net=/run/netns/hthost"])
    }

    @Test func anOddNameStaysOneWord() {
        let ns = NetworkNamespace("ns'x $(id)")
        #expect(ns.name == "ns'x $(id)")
        #expect(ns.path == "/run/netns/ns'x $(id)")
        #expect(ns.ipArguments == ["-n", "ns'x $(id)"])
        #expect(ns.enterArgv == ["nsenter", "--net=/run/netns/ns'x $(id)"])
        #expect(ns.argv(running: ["ip", "route"]) == ["ip", "-n", "ns'x $(id)", "route"])
    }

    @Test func theSameArgumentIsTheSameNamespace() {
        #expect(NetworkNamespace("htns1") == NetworkNamespace("htns1"))
        #expect(NetworkNamespace("htns1") != NetworkNamespace("/run/netns/htns1"))  // equal by argument, not by file
        #expect(Set([NetworkNamespace("a"), NetworkNamespace("a"), NetworkNamespace("b")]).count == 2)
    }
}
