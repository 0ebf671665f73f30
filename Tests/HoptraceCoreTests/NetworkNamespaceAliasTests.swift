import Foundation
import HoptraceCore
import Testing

/// A container's namespace has no name under /run/netns: hoptrace registers the container's name
/// as an alias for its namespace file (often a descriptor hoptrace holds, `/proc/SELF/fd/N`),
/// and suggested commands name the file a user can open after hoptrace ends (`/proc/PID/ns/net`).
/// Aliases are process-wide: every name here is this test's own.
@Suite struct NetworkNamespaceAliasTests {
    static func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.lowercased())" }

    @Test func anAliasEntersThroughItsFileAndIsShownByItsOwnPath() {
        let web = Self.unique("web")
        #expect(NetworkNamespace.register(alias: web, path: "/proc/123/fd/7", shownPath: "/proc/4567/ns/net"))
        let ns = NetworkNamespace(web)
        #expect(ns.isAlias)
        #expect(ns.name == nil)
        #expect(ns.path == "/proc/123/fd/7")
        #expect(ns.ipArguments == nil)
        #expect(ns.enterArgv == ["nsenter", "--net=/proc/123/fd/7"])
        // Shown as the user knows it: the container's name.
        #expect(ns.displayName == web && ns.description == web)

        // hoptrace's own runs enter through the descriptor, `ip` included (`ip -n` takes names only).
        #expect(ns.argv(running: ["ip", "link"]) == ["nsenter", "--net=/proc/123/fd/7", "ip", "link"])
        #expect(ns.argv(running: ["nft", "list", "ruleset"]) == ["nsenter", "--net=/proc/123/fd/7", "nft", "list", "ruleset"])
        // What a user pastes names the file that outlives hoptrace.
        #expect(ns.pasteArgv(running: ["ip", "link"]) == ["nsenter", "--net=/proc/4567/ns/net", "ip", "link"])
    }

    @Test func suggestedCommandsNameTheShownPath() {
        let web = Self.unique("web")
        NetworkNamespace.register(alias: web, path: "/proc/123/fd/7", shownPath: "/proc/4567/ns/net")
        #expect(SuggestedCommand(netns: web, ["iptables", "-L"]).description == "nsenter --net=/proc/4567/ns/net iptables -L")
        #expect(SuggestedCommand(netns: web, ["iptables", "-L"]).fullArgv == ["nsenter", "--net=/proc/4567/ns/net", "iptables", "-L"])
        // Not `ip -n web` (no such name under /run/netns), not `ip netns exec web`.
        #expect(SuggestedCommand(netns: web, ["ip", "route"]).description == "nsenter --net=/proc/4567/ns/net ip route")
        #expect(!SuggestedCommand(netns: web, ["sysctl", "-w", "net.ipv4.ip_forward=1"]).description.contains("/proc/123/fd/7"))
    }

    @Test func withoutAShownPathThePathIsShown() {
        let db = Self.unique("db")
        #expect(NetworkNamespace.register(alias: db, path: "/proc/777/ns/net"))
        let ns = NetworkNamespace(db)
        #expect(ns.path == "/proc/777/ns/net")
        #expect(ns.pasteArgv(running: ["ss", "-tn"]) == ["nsenter", "--net=/proc/777/ns/net", "ss", "-tn"])
        #expect(SuggestedCommand(netns: db, ["ss", "-tn"]).description == "nsenter --net=/proc/777/ns/net ss -tn")
    }

    @Test func aRestartedContainersNewFileReplacesTheOld() {
        let web = Self.unique("web")
        NetworkNamespace.register(alias: web, path: "/proc/123/fd/7", shownPath: "/proc/4567/ns/net")
        let before = NetworkNamespace(web)
        #expect(NetworkNamespace.register(alias: web, path: "/proc/123/fd/9", shownPath: "/proc/9999/ns/net"))
        let after = NetworkNamespace(web)
        #expect(after.path == "/proc/123/fd/9")
        #expect(after.pasteArgv(running: ["ip", "a"]) == ["nsenter", "--net=/proc/9999/ns/net", "ip", "a"])
        // A value keeps the file it was made with.
        #expect(before.path == "/proc/123/fd/7")
    }

    @Test func aValueMadeBeforeRegisteringStaysAName() {
        let late = Self.unique("late")
        let before = NetworkNamespace(late)
        NetworkNamespace.register(alias: late, path: "/proc/55/ns/net")
        #expect(!before.isAlias)
        #expect(before.path == "/run/netns/\(late)")
        #expect(NetworkNamespace(late).isAlias)
    }

    @Test func whatCannotBeAnAliasIsRefused() {
        #expect(!NetworkNamespace.isValidAlias(""))
        #expect(!NetworkNamespace.register(alias: "", path: "/proc/1/ns/net"))

        #expect(!NetworkNamespace.isValidAlias("/x"))
        #expect(!NetworkNamespace.register(alias: "/x", path: "/proc/1/ns/net"))
        #expect(NetworkNamespace("/x").path == "/x" && !NetworkNamespace("/x").isAlias)

        let colon = Self.unique("a:b")
        #expect(!NetworkNamespace.isValidAlias("a:b"))
        #expect(!NetworkNamespace.register(alias: colon, path: "/proc/1/ns/net"))
        #expect(!NetworkNamespace(colon).isAlias)
        #expect(NetworkNamespace(colon).path == "/run/netns/\(colon)")

        // 255 bytes at most (an engine's names are data from outside: bounded).
        let long = Self.unique("long")
        let at255 = long + String(repeating: "x", count: 255 - long.utf8.count)
        let at256 = at255 + "x"
        #expect(at255.utf8.count == 255 && at256.utf8.count == 256)
        #expect(!NetworkNamespace.isValidAlias(at256))
        #expect(!NetworkNamespace.register(alias: at256, path: "/proc/1/ns/net"))
        #expect(!NetworkNamespace(at256).isAlias)
        #expect(NetworkNamespace.isValidAlias(at255))
        #expect(NetworkNamespace.register(alias: at255, path: "/proc/1/ns/net"))
        #expect(NetworkNamespace(at255).isAlias)
        // Bytes, not characters: 128 two-byte characters are 256 bytes.
        #expect(!NetworkNamespace.isValidAlias(String(repeating: "\u{E9}", count: 128)))
    }

    @Test func aNameNeverRegisteredIsStillARunNetnsName() {
        let never = Self.unique("never")
        let ns = NetworkNamespace(never)
        #expect(!ns.isAlias)
        #expect(ns.name == never)
        #expect(ns.path == "/run/netns/\(never)")
        #expect(ns.argv(running: ["ip", "link"]) == ["ip", "-n", never, "link"])
        #expect(ns.pasteArgv(running: ["ip", "link"]) == ["ip", "-n", never, "link"])
        #expect(SuggestedCommand(netns: never, ["iptables", "-L"]).description == "ip netns exec \(never) iptables -L")
    }
}
