import Foundation
import HoptraceCore
import Testing

/// Containers as their engine would list them, with IDs of 64 hex digits made from a prefix.
enum InventoryParts {
    static func container(_ name: String, id prefix: String, pid: Int32?, image: String = "hoptrace-busybox:1") -> EngineContainer {
        EngineContainer(id: prefix + String(repeating: "0", count: 64 - prefix.count), name: name, image: image,
                        state: pid == nil ? "exited" : "running", pid: pid)
    }

    static func docker(_ c: EngineContainer, inode: UInt64) -> NamespaceInventory.Container {
        .init(c, engine: .docker, inode: inode)
    }
}

@Suite struct NamespaceInventoryTests {
    typealias Named = NamespaceInventory.Named
    typealias Process = NamespaceInventory.Process

    static let web = InventoryParts.container("web", id: "3f2a1b4c5d6e", pid: 4242)
    static let pinger = InventoryParts.container("pinger", id: "3f9e", pid: 4300)

    // MARK: - Joined by inode

    @Test func namesProcessesAndContainersOfOneInodeAreOneEntry() throws {
        let inventory = NamespaceInventory(
            own: 1,
            named: [Named(name: "htb", inode: 2), Named(name: "hta", inode: 2), Named(name: "htc", inode: 3)],
            processes: [Process(pid: 1, comm: "systemd", inode: 1, count: 97), Process(pid: 700, comm: "dockerd", inode: 2, count: 4),
                        Process(pid: 4242, comm: "httpd", inode: 4, count: 1), Process(pid: 1200, comm: "chronyd", inode: 5, count: 2)],
            containers: [InventoryParts.docker(Self.web, inode: 4)])
        // Own first, then named, containers, the rest.
        #expect(inventory.entries.map(\.inode) == [1, 2, 3, 4, 5])
        #expect(inventory.entries.map(\.displayName) == [nil, "hta", "htc", "web", "/proc/1200/ns/net"])
        #expect(inventory.entries.map(\.isOwn) == [true, false, false, false, false])
        #expect(inventory.entries.map(\.path) == ["/proc/1/ns/net", "/run/netns/hta", "/run/netns/htc", "/proc/4242/ns/net", "/proc/1200/ns/net"])

        let host = try #require(inventory.entry(inode: 2))
        #expect(host.names == ["hta", "htb"])
        #expect(host.process == Process(pid: 700, comm: "dockerd", inode: 2, count: 4))
        #expect(host.containers.isEmpty)
        let remote = try #require(inventory.entry(inode: 3))
        #expect(remote.process == nil)

        let web = try #require(inventory.entry(inode: 4))
        #expect(web.names.isEmpty)
        #expect(web.containers == [InventoryParts.docker(Self.web, inode: 4)])
        #expect(web.process?.comm == "httpd")

        #expect(inventory.entry(inode: 99)?.inode == nil)
        #expect(inventory.containers.map(\.0) == [InventoryParts.docker(Self.web, inode: 4)])
        #expect(inventory.containers.map(\.1.inode) == [4])
    }

    @Test func eachGroupIsSortedByDisplayNameThenInode() {
        let b = InventoryParts.container("b", id: "bb", pid: 20), a = InventoryParts.container("a", id: "aa", pid: 21)
        let otherA = InventoryParts.container("a", id: "ab", pid: 22)
        let inventory = NamespaceInventory(
            own: nil,
            named: [Named(name: "zz", inode: 30), Named(name: "mm", inode: 31)],
            processes: [Process(pid: 9, comm: "x", inode: 41, count: 1), Process(pid: 10, comm: "y", inode: 40, count: 1)],
            containers: [InventoryParts.docker(b, inode: 50), InventoryParts.docker(a, inode: 52), .init(otherA, engine: .podman, inode: 51)])
        // Paths sort as text: "/proc/10/…" before "/proc/9/…". Two engines' "a": the lower inode
        // (podman's, 51) keeps the name, docker's (52) goes by its path, so no name means two namespaces.
        #expect(inventory.entries.map(\.displayName) == ["mm", "zz", "/proc/21/ns/net", "a", "b", "/proc/10/ns/net", "/proc/9/ns/net"])
        #expect(inventory.entries.map(\.inode) == [31, 30, 52, 51, 50, 40, 41])
        #expect(!inventory.entries.contains { $0.isOwn })
    }

    // MARK: - Display names

    @Test func ownNamespaceHasNoDisplayNameWhateverNamesIt() throws {
        let inventory = NamespaceInventory(
            own: 2, named: [Named(name: "htdkhost", inode: 2)], processes: [],
            containers: [InventoryParts.docker(InventoryParts.container("hostnet", id: "cc", pid: 77), inode: 2)])
        let own = try #require(inventory.entries.first)
        #expect(own.isOwn && own.displayName == nil)
        #expect(own.path == "/run/netns/htdkhost")
        #expect(own.containers.map(\.container.name) == ["hostnet"])
    }

    @Test func aContainerNameTakenByANamedNamespaceElsewhereGivesWayToThePath() throws {
        let clash = InventoryParts.container("htdkhost", id: "dd", pid: 5005)
        let inventory = NamespaceInventory(
            own: 1, named: [Named(name: "htdkhost", inode: 2)], processes: [],
            containers: [InventoryParts.docker(clash, inode: 5)])
        #expect(inventory.entry(inode: 2)?.displayName == "htdkhost")
        #expect(inventory.entry(inode: 5)?.displayName == "/proc/5005/ns/net")
    }

    @Test func aContainerNameThatCannotBeAnAliasIsNotTheDisplayName() throws {
        let colon = InventoryParts.container("a:b", id: "e1", pid: 601)
        let empty = InventoryParts.container("", id: "e2", pid: 602)
        let long = InventoryParts.container(String(repeating: "x", count: 256), id: "e3", pid: 603)
        let inventory = NamespaceInventory(
            own: nil, named: [Named(name: "ht-empty", inode: 12)], processes: [],
            containers: [InventoryParts.docker(colon, inode: 11), InventoryParts.docker(empty, inode: 12), InventoryParts.docker(long, inode: 13)])
        #expect(inventory.entry(inode: 11)?.displayName == "/proc/601/ns/net")
        #expect(inventory.entry(inode: 12)?.displayName == "ht-empty")  // its /run/netns name instead
        #expect(inventory.entry(inode: 13)?.displayName == "/proc/603/ns/net")
    }

    @Test func aContainerInANamedNamespaceIsCalledByItsNameAndEnteredByTheNamedFile() throws {
        let inventory = NamespaceInventory(
            own: nil, named: [Named(name: "netns-8c1e", inode: 6)], processes: [],
            containers: [InventoryParts.docker(Self.web, inode: 6)])
        let e = try #require(inventory.entry(inode: 6))
        #expect(e.displayName == "web")
        #expect(e.path == "/run/netns/netns-8c1e")
    }

    @Test func containersSharingANamespaceAreSortedAndTheFirstUsableNameWins() throws {
        // `--network container:web`: db and web in one namespace; "db" is also a /run/netns name.
        let db = InventoryParts.container("db", id: "ab", pid: 5000)
        let inventory = NamespaceInventory(
            own: nil, named: [Named(name: "db", inode: 9)], processes: [],
            containers: [InventoryParts.docker(Self.web, inode: 4), InventoryParts.docker(db, inode: 4)])
        let e = try #require(inventory.entry(inode: 4))
        #expect(e.containers.map(\.container.name) == ["db", "web"])
        #expect(e.displayName == "web")
        #expect(e.path == "/proc/5000/ns/net")  // the first container's process: the same namespace
    }

    @Test func aContainerWithoutAProcessIsEnteredThroughTheNamespacesProcess() throws {
        let stopped = InventoryParts.container("web", id: "ef", pid: nil)
        let inventory = NamespaceInventory(
            own: nil, named: [], processes: [Process(pid: 77, comm: "sh", inode: 4, count: 1)],
            containers: [InventoryParts.docker(stopped, inode: 4)])
        let e = try #require(inventory.entry(inode: 4))
        #expect(e.containers.first?.path == nil)
        #expect(e.displayName == "web" && e.path == "/proc/77/ns/net")
    }

    // MARK: - What a word names

    static let resolving = NamespaceInventory(
        own: 1,
        named: [Named(name: "htdkhost", inode: 2)],
        processes: [],
        containers: [InventoryParts.docker(web, inode: 4), InventoryParts.docker(pinger, inode: 5),
                     InventoryParts.docker(InventoryParts.container("htdkhost", id: "a1", pid: 5005), inode: 6)])

    @Test func aNamedNamespaceWinsOverAContainerOfThatName() {
        #expect(Self.resolving.resolve("htdkhost") == .named("htdkhost"))
        // By its ID the container is still found, under its path.
        #expect(Self.resolving.resolve("a1") == .container(displayName: "/proc/5005/ns/net", path: "/proc/5005/ns/net"))
    }

    @Test func aContainerIsFoundByNameIDOrUniqueIDPrefix() {
        let web = NamespaceInventory.Resolution.container(displayName: "web", path: "/proc/4242/ns/net")
        #expect(Self.resolving.resolve("web") == web)
        #expect(Self.resolving.resolve("/web") == web)
        #expect(Self.resolving.resolve(Self.web.id) == web)
        #expect(Self.resolving.resolve("3f2a") == web)
        #expect(Self.resolving.resolve("3f9") == .container(displayName: "pinger", path: "/proc/4300/ns/net"))
    }

    @Test func aPrefixOfSeveralIDsListsTheirNamesSorted() {
        #expect(Self.resolving.resolve("3f") == .ambiguous(["pinger", "web"]))
    }

    @Test func oneNameInTwoEnginesIsAmbiguous() {
        let podmanWeb = NamespaceInventory.Container(InventoryParts.container("web", id: "bb", pid: 6000), engine: .podman, inode: 7)
        let inventory = NamespaceInventory(own: nil, named: [], processes: [],
                                           containers: [InventoryParts.docker(Self.web, inode: 4), podmanWeb])
        #expect(inventory.resolve("web") == .ambiguous(["web", "web"]))
        // Each namespace still has a name of its own: the later one by inode goes by its path.
        #expect(inventory.entries.map(\.displayName) == ["/proc/6000/ns/net", "web"])
    }

    @Test func aContainerInHoptracesOwnNamespaceIsOwn() {
        let hostnet = InventoryParts.docker(InventoryParts.container("hostnet", id: "cc", pid: 7000), inode: 1)
        let inventory = NamespaceInventory(own: 1, named: [], processes: [], containers: [hostnet])
        #expect(inventory.resolve("hostnet") == .own)
        #expect(inventory.entries.map(\.displayName) == [nil])
    }

    @Test func anythingElseIsUnknown() {
        for text in ["", "/", "we", "3F2A", "nope", "htdkhost:eth0", "/run/netns/htdkhost"] {
            #expect(Self.resolving.resolve(text) == .unknown, "\(text)")
        }
        #expect(NamespaceInventory(own: nil, named: [], processes: [], containers: []).resolve("web") == .unknown)
    }

    // MARK: - Aliases (process-wide: every name here is this test's own)

    @Test func registeringMakesContainerDisplayNamesEnterTheirNamespace() {
        let tag = UUID().uuidString.lowercased()
        let c = { (name: String, id: String, pid: Int32, inode: UInt64) in
            InventoryParts.docker(InventoryParts.container("\(name)-\(tag)", id: id, pid: pid), inode: inode)
        }
        let inventory = NamespaceInventory(
            own: 1,
            named: [Named(name: "ht-\(tag)", inode: 2), Named(name: "netns-\(tag)", inode: 7)],
            processes: [Process(pid: 900, comm: "chronyd", inode: 8, count: 1)],
            containers: [c("web", "a1", 4242, 4), c("ht", "a2", 5005, 5), c("bad:x", "a3", 6006, 6),
                         c("db", "a4", 7007, 7), c("own", "a5", 8008, 1)])
        for name in ["web", "ht", "db", "own", "netns"] {
            #expect(!NetworkNamespace("\(name)-\(tag)").isAlias, "\(name) before")
        }

        inventory.registerAliases()

        let web = NetworkNamespace("web-\(tag)")
        #expect(web.isAlias && web.name == nil && web.path == "/proc/4242/ns/net")
        // A container in a named namespace enters it through the named file.
        let db = NetworkNamespace("db-\(tag)")
        #expect(db.isAlias && db.path == "/run/netns/netns-\(tag)")
        // /run/netns names stay names; a clashing container, an unusable name and a container
        // in hoptrace's own namespace get no alias.
        #expect(!NetworkNamespace("ht-\(tag)").isAlias && NetworkNamespace("ht-\(tag)").path == "/run/netns/ht-\(tag)")
        #expect(!NetworkNamespace("netns-\(tag)").isAlias)
        #expect(!NetworkNamespace("bad:x-\(tag)").isAlias)
        #expect(!NetworkNamespace("own-\(tag)").isAlias)
    }
}

/// `hoptrace ns` over a hand-made inventory and the engine lab's topology (ContainerPathTests'
/// `EngineLab`).
@Suite struct NamespaceListingTests {
    typealias Named = NamespaceInventory.Named
    typealias Process = NamespaceInventory.Process

    static let web = InventoryParts.container("web", id: "3f2a1b4c5d6e7f", pid: 7950)
    static let pinger = InventoryParts.container("pinger", id: "5b6c7d8e9f0a1b", pid: 8100)

    static let docker = NamespaceInventory(
        own: 4026531840,
        named: [Named(name: "htdkhost", inode: 4026532281), Named(name: "htdkremote", inode: 4026532350)],
        processes: [Process(pid: 1, comm: "systemd", inode: 4026531840, count: 97),
                    Process(pid: 7602, comm: "dockerd", inode: 4026532281, count: 9),
                    Process(pid: 7950, comm: "httpd", inode: 4026532412, count: 1),
                    Process(pid: 8100, comm: "sleep", inode: 4026532500, count: 1),
                    Process(pid: 1200, comm: "chronyd", inode: 4026532600, count: 1)],
        containers: [InventoryParts.docker(web, inode: 4026532412), InventoryParts.docker(pinger, inode: 4026532500)])

    @Test func dockerLabListsEveryNamespaceWithItsInterfacesAndPeers() throws {
        let topology = try EngineLab.topology("docker")
        let lines = NamespaceListing.lines(Self.docker, topology: topology)
        #expect(lines == [
            "(this namespace)  inode 4026531840",
            "  pid 1 (systemd), 97 processes",
            "  (interfaces not read)",
            "htdkhost  inode 4026532281",
            "  named /run/netns/htdkhost",
            "  pid 7602 (dockerd), 9 processes",
            "  enX0 172.31.39.53/20 (veth) ↔ htdkremote",
            "  docker0 172.17.0.1/16 (bridge)",
            "  veth06c555f (veth, master docker0) ↔ web:eth0",
            "  vethe4996f4 (veth, master docker0)",
            "  br-360e73088828 172.18.0.1/16 (bridge)",
            "  vethda580ed (veth, master br-360e73088828)",
            "  veth3bf5e7e (veth, master br-360e73088828)",
            "htdkremote  inode 4026532350",
            "  named /run/netns/htdkremote",
            "  (interfaces not read)",
            "pinger  inode 4026532500",
            "  docker container pinger (image hoptrace-busybox:1, id 5b6c7d8e9f0a)",
            "  pid 8100 (sleep)",
            "  (interfaces not read)",
            "web  inode 4026532412",
            "  docker container web (image hoptrace-busybox:1, id 3f2a1b4c5d6e)",
            "  pid 7950 (httpd)",
            "  eth0 172.17.0.2/16 (veth) ↔ htdkhost:veth06c555f",
            "/proc/1200/ns/net  inode 4026532600",
            "  pid 1200 (chronyd)",
            "  (interfaces not read)",
        ])
    }

    @Test func withoutATopologyOnlyWhatNamesEachNamespaceIsListed() {
        #expect(NamespaceListing.lines(Self.docker, topology: nil) == [
            "(this namespace)  inode 4026531840",
            "  pid 1 (systemd), 97 processes",
            "htdkhost  inode 4026532281",
            "  named /run/netns/htdkhost",
            "  pid 7602 (dockerd), 9 processes",
            "htdkremote  inode 4026532350",
            "  named /run/netns/htdkremote",
            "pinger  inode 4026532500",
            "  docker container pinger (image hoptrace-busybox:1, id 5b6c7d8e9f0a)",
            "  pid 8100 (sleep)",
            "web  inode 4026532412",
            "  docker container web (image hoptrace-busybox:1, id 3f2a1b4c5d6e)",
            "  pid 7950 (httpd)",
            "/proc/1200/ns/net  inode 4026532600",
            "  pid 1200 (chronyd)",
        ])
    }

    @Test func podmanWithHoptraceInTheEnginesHostNamespace() throws {
        // hoptrace runs in htpmhost: that block is "(this namespace)", and web's peer is there.
        let web = InventoryParts.container("web", id: "9d0c1b2a3f4e5d", pid: 7400, image: "localhost/hoptrace-busybox:1")
        let inventory = NamespaceInventory(
            own: 4026532290, named: [Named(name: "htpmhost", inode: 4026532290)],
            processes: [Process(pid: 7300, comm: "podman", inode: 4026532290, count: 3),
                        Process(pid: 7400, comm: "httpd", inode: 4026532400, count: 1)],
            containers: [.init(web, engine: .podman, inode: 4026532400)])
        let topology = try Topology([EngineLab.host("podman", name: nil, nsids: "[]"), EngineLab.web("podman", nsids: "[]")])
        #expect(NamespaceListing.lines(inventory, topology: topology) == [
            "(this namespace)  inode 4026532290",
            "  named /run/netns/htpmhost",
            "  pid 7300 (podman), 3 processes",
            "  enX0 172.31.39.53/20 (veth)",
            "  podman0 10.88.0.1/16 (bridge)",
            "  veth0 (veth, master podman0) ↔ web:eth0",
            "  veth1 (veth, master podman0)",
            "web  inode 4026532400",
            "  podman container web (image localhost/hoptrace-busybox:1, id 9d0c1b2a3f4e)",
            "  pid 7400 (httpd)",
            "  eth0 10.88.0.2/16 (veth) ↔ (this namespace):veth0",
        ])
    }

    @Test func aContainerWithoutImageOrProcessAndADownInterface() throws {
        let bare = InventoryParts.container("web", id: "0123456789abcd", pid: 7950, image: "")
        let inventory = NamespaceInventory(own: nil, named: [], processes: [],
                                           containers: [InventoryParts.docker(bare, inode: 4026532412)])
        var web = try EngineLab.web("docker", nsids: EngineLab.webNsids("docker"))
        let eth0 = try #require(web.interfaces.firstIndex { $0.name == "eth0" })
        web.interfaces[eth0].isUp = false
        // The host is not in the topology: the peer is only its namespace's name.
        let topology = try Topology([web])
        #expect(NamespaceListing.lines(inventory, topology: topology) == [
            "web  inode 4026532412",
            "  docker container web (id 0123456789ab)",
            "  no process inside",
            "  eth0 172.17.0.2/16 (veth, down) ↔ htdkhost",
        ])
    }
}
