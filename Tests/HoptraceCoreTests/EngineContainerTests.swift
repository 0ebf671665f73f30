import Foundation
import HoptraceCore
import Testing

/// Real Engine API answers (Tests/Fixtures/engine: Docker 20.10 and Podman 4.3's compatible
/// service, see its README). IDs, PIDs and MAC addresses change with every capture: they are
/// compared between files, never written here.
enum EngineAPIFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/engine")

    /// `engine` is "docker" or "podman"; `file` e.g. "api-containers.json".
    static func data(_ engine: String, _ file: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(engine).appendingPathComponent(file))
    }

    static func summaries(_ engine: String) throws -> [EngineContainer.Summary] {
        try EngineContainer.list(fromContainersJSON: data(engine, "api-containers.json"))
    }

    static func web(_ engine: String) throws -> EngineContainer {
        try EngineContainer(inspectJSON: data(engine, "api-container-web.json"))
    }
}

@Suite struct EngineContainerTests {
    static func isFullID(_ id: String) -> Bool {
        id.utf8.count == 64 && id.allSatisfy { "0123456789abcdef".contains($0) }
    }

    static func id(_ prefix: String) -> String { prefix + String(repeating: "0", count: 64 - prefix.count) }

    static func container(_ name: String, id prefix: String) -> EngineContainer {
        EngineContainer(id: id(prefix), name: name, image: "img", state: "running", pid: 42)
    }

    // MARK: - Docker 20.10

    @Test func dockerListsItsRunningContainers() throws {
        let list = try EngineAPIFixtures.summaries("docker")
        #expect(list.map(\.name) == ["hoptest-b", "hoptest-a", "pinger", "web"])
        #expect(list.allSatisfy { Self.isFullID($0.id) && $0.image == "hoptrace-busybox:1" && $0.state == "running" })

        let web = try #require(list.first { $0.name == "web" })
        #expect(web.networks.map(\.network) == ["bridge"])
        let bridge = try #require(web.networks.first)
        #expect(bridge.ipAddress == "172.17.0.2" && bridge.gateway == "172.17.0.1" && bridge.ipv6 == nil)
        #expect(bridge.macAddress?.hasPrefix("02:42:") == true)
        // -p 8080:80 is published on both families; sorted "0.0.0.0" before "::".
        #expect(web.ports == [EnginePortMapping(hostIP: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp"),
                              EnginePortMapping(hostIP: "::", hostPort: 8080, containerPort: 80, proto: "tcp")])

        let a = try #require(list.first { $0.name == "hoptest-a" })
        #expect(a.networks.map(\.network) == ["hoptest"])
        #expect(a.networks.first?.ipAddress == "172.18.0.2" && a.networks.first?.gateway == "172.18.0.1")
        #expect(a.ports.isEmpty)
    }

    @Test func dockerInspectGivesThePid() throws {
        let web = try EngineAPIFixtures.web("docker")
        let listed = try #require(try EngineAPIFixtures.summaries("docker").first { $0.name == "web" })
        #expect(web.id == listed.id)
        #expect(web.name == "web" && web.image == "hoptrace-busybox:1" && web.state == "running")
        let pid = try #require(web.pid)
        #expect(pid > 0)
        #expect(web.namespacePath == "/proc/\(pid)/ns/net")
        #expect(web.shortID == String(listed.id.prefix(12)))
        #expect(web.networks == listed.networks)
        #expect(web.ports == listed.ports)
    }

    @Test func dockerIsToldFromItsVersion() throws {
        let v = try EngineVersion(versionJSON: EngineAPIFixtures.data("docker", "api-version.json"))
        #expect(v == EngineVersion(kind: .docker, version: "20.10.24+dfsg1", apiVersion: "1.41"))
    }

    // MARK: - Podman 4.3 (Docker-compatible service)

    @Test func podmanListsItsContainersTheDockerWay() throws {
        let list = try EngineAPIFixtures.summaries("podman")
        #expect(list.map(\.name) == ["web", "pinger"])
        #expect(list.allSatisfy { Self.isFullID($0.id) && $0.image == "localhost/hoptrace-busybox:1" && $0.state == "running" })
        let web = list[0]
        #expect(web.networks.map(\.network) == ["podman"])
        #expect(web.networks.first?.ipAddress == "10.88.0.2" && web.networks.first?.gateway == "10.88.0.1")
        // Podman names no host address: every address.
        #expect(web.ports == [EnginePortMapping(hostIP: nil, hostPort: 8080, containerPort: 80, proto: "tcp")])
        #expect(list[1].networks.first?.ipAddress == "10.88.0.3" && list[1].ports.isEmpty)
    }

    @Test func podmanInspectGivesThePid() throws {
        let web = try EngineAPIFixtures.web("podman")
        let listed = try EngineAPIFixtures.summaries("podman")[0]
        #expect(web.id == listed.id && web.name == "web" && web.image == "localhost/hoptrace-busybox:1")
        #expect(web.state == "running" && (web.pid ?? 0) > 0)
        #expect(web.networks == listed.networks)
        // Inspect's "HostIp": "" means the same as the listing's missing IP.
        #expect(web.ports == [EnginePortMapping(hostIP: nil, hostPort: 8080, containerPort: 80, proto: "tcp")])
    }

    @Test func podmanIsToldFromItsVersion() throws {
        let v = try EngineVersion(versionJSON: EngineAPIFixtures.data("podman", "api-version.json"))
        #expect(v == EngineVersion(kind: .podman, version: "4.3.1", apiVersion: "1.41"))
        // Also when only the platform says so.
        let platform = #"{"Platform":{"Name":"Podman Engine"},"Version":"5.0.0"}"#
        #expect(try EngineVersion(versionJSON: Data(platform.utf8)).kind == .podman)
    }

    // MARK: - Tolerant, but not of everything

    @Test func unknownFieldsAreIgnoredAndOptionalOnesMayBeMissing() throws {
        let id = Self.id("ab")
        let list = try EngineContainer.list(fromContainersJSON: Data(#"[{"Id":"\#(id)","Future":{"x":[1,2]}}]"#.utf8))
        #expect(list.count == 1)
        #expect(list[0].id == id && list[0].name == "" && list[0].image == "" && list[0].state == "")
        #expect(list[0].networks.isEmpty && list[0].ports.isEmpty)

        let inspected = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","Name":"/x","State":{"Status":"exited","Running":false,"Pid":0},"NetworkSettings":{"Networks":{"none":null},"Ports":{"80/tcp":null}}}"#.utf8))
        #expect(inspected == EngineContainer(id: id, name: "x", image: "", state: "exited", pid: nil,
                                             networks: [EngineNetworkAttachment(network: "none", ipAddress: nil, gateway: nil, macAddress: nil, ipv6: nil)]))
    }

    @Test func networksAreSortedByName() throws {
        let id = Self.id("ab")
        let json = #"{"Id":"\#(id)","NetworkSettings":{"Networks":{"zeta":{"IPAddress":"10.0.2.2"},"alpha":{"IPAddress":"10.0.1.2","GlobalIPv6Address":"fd00::2"}}}}"#
        let c = try EngineContainer(inspectJSON: Data(json.utf8))
        #expect(c.networks.map(\.network) == ["alpha", "zeta"])
        #expect(c.networks[0].ipv6 == "fd00::2")
    }

    @Test func aNameKeepsAnyCharactersItHas() throws {
        // Escaping is the printer's job; the name itself is kept exactly.
        let id = Self.id("ab")
        let c = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","Name":"/we\u001b[2Jb\u202e"}"#.utf8))
        #expect(c.name == "we\u{1b}[2Jb\u{202e}")
    }

    @Test func somethingThatIsNotJSONIsSaidSo() {
        #expect(throws: EngineJSONError.notJSON(source: "/containers/json", detail: "it starts \"<html><body>nope</body></html>\"")) {
            try EngineContainer.list(fromContainersJSON: Data("<html><body>nope</body></html>".utf8))
        }
        #expect(throws: EngineJSONError.notJSON(source: "/containers/json", detail: "the body is empty")) {
            try EngineContainer.list(fromContainersJSON: Data())
        }
    }

    @Test func theWrongShapeNamesTheField() throws {
        func detail(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let id = Self.id("ab")
        #expect(detail { _ = try EngineContainer.list(fromContainersJSON: Data("{}".utf8)) }
                .hasPrefix("unexpected answer to GET /containers/json: the answer is not a list"))
        #expect(detail { _ = try EngineContainer.list(fromContainersJSON: Data(#"[{"Names":["/a"]}]"#.utf8)) }.contains("Id' is missing"))
        #expect(detail { _ = try EngineContainer.list(fromContainersJSON: Data(#"[{"Id":"\#(id)","Names":"/a"}]"#.utf8)) }.contains("Names' is not a list"))
        #expect(detail { _ = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","State":{"Pid":"12"}}"#.utf8)) }
                == "unexpected answer to GET /containers/{id}/json: 'State.Pid' is not an integer")
        #expect(detail { _ = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","State":{"Pid":-5}}"#.utf8)) }.contains("'State.Pid' is -5"))
        #expect(detail { _ = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","State":{"Pid":4294967296}}"#.utf8)) }.contains("State.Pid"))
        #expect(detail { _ = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","NetworkSettings":{"Ports":{"http":[]}}}"#.utf8)) }.contains("PORT/PROTOCOL"))
        #expect(detail { _ = try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","NetworkSettings":{"Ports":{"80/tcp":[{"HostPort":"99999"}]}}}"#.utf8)) }.contains("no port number"))
        #expect(detail { _ = try EngineVersion(versionJSON: Data(#"{"hello":"world"}"#.utf8)) }.contains("not the Docker Engine API"))
    }

    @Test(arguments: ["abc", "../../etc", "AB" + String(repeating: "0", count: 62), String(repeating: "a", count: 65),
                      "zz" + String(repeating: "0", count: 62)])
    func anIDIsSixtyFourLowercaseHexDigits(id: String) {
        #expect(throws: EngineJSONError.unexpectedShape(source: "/containers/{id}/json", detail: "'Id' is not a 64-digit hex container ID")) {
            try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)"}"#.utf8))
        }
    }

    @Test func aFieldOverTheLimitIsRefusedNotCut() {
        let id = Self.id("ab")
        let long = String(repeating: "n", count: EngineContainer.fieldLimit + 1)
        #expect(throws: EngineJSONError.tooLarge(source: "/containers/{id}/json", detail: "'Name' holds 4098 bytes, more than the 4096 hoptrace reads")) {
            try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","Name":"/\#(long)"}"#.utf8))
        }
        let fits = String(repeating: "n", count: 4096)
        #expect(throws: Never.self) { try EngineContainer(inspectJSON: Data(#"{"Id":"\#(id)","Name":"\#(fits)"}"#.utf8)) }
    }

    @Test func aListingOfMoreThan4096ContainersIsRefused() throws {
        let entry = #"{"Id":"\#(Self.id("ab"))"}"#
        let full = "[" + Array(repeating: entry, count: 4096).joined(separator: ",") + "]"
        #expect(try EngineContainer.list(fromContainersJSON: Data(full.utf8)).count == 4096)
        let over = "[" + Array(repeating: entry, count: 4097).joined(separator: ",") + "]"
        #expect(throws: EngineJSONError.tooLarge(source: "/containers/json", detail: "more than 4096 containers, the most hoptrace reads")) {
            try EngineContainer.list(fromContainersJSON: Data(over.utf8))
        }
    }

    @Test func theEnginesErrorMessageIsRead() {
        #expect(EngineErrorBody.message(in: Data(#"{"message":"No such container: x"}"#.utf8)) == "No such container: x")
        #expect(EngineErrorBody.message(in: Data("page not found".utf8)) == nil)
        #expect(EngineErrorBody.message(in: Data(#"{"message":5}"#.utf8)) == nil)
    }

    // MARK: - Which container a word names

    @Test func anExactNameOrIDOrAUniqueIDPrefixNamesOne() throws {
        let web = Self.container("web", id: "aa11"), pinger = Self.container("pinger", id: "aa22")
        let all = [web, pinger]
        #expect(EngineContainer.match("web", in: all) == .one(web))
        #expect(EngineContainer.match("/web", in: all) == .one(web))
        #expect(EngineContainer.match(pinger.id, in: all) == .one(pinger))
        #expect(EngineContainer.match("aa1", in: all) == .one(web))
        #expect(EngineContainer.match("aa2", in: all) == .one(pinger))
    }

    @Test func aPrefixOfSeveralIDsIsAmbiguous() {
        let web = Self.container("web", id: "aa11"), pinger = Self.container("pinger", id: "aa22"), db = Self.container("db", id: "bb33")
        #expect(EngineContainer.match("a", in: [web, pinger, db]) == .ambiguous([web, pinger]))
        #expect(EngineContainer.match("aa", in: [pinger, web, db]) == .ambiguous([pinger, web]))
        #expect(EngineContainer.match("b", in: [web, pinger, db]) == .one(db))
    }

    @Test func aNameThatIsAlsoAnIDPrefixOfAnotherIsThatName() {
        // "abc" is a prefix of web's ID, but a container is named "abc": the name wins.
        let web = Self.container("web", id: "abc1"), abc = Self.container("abc", id: "ff00")
        #expect(EngineContainer.match("abc", in: [web, abc]) == .one(abc))
        // A name that is another's full ID also wins.
        let impostor = Self.container(web.id, id: "ee00")
        #expect(EngineContainer.match(web.id, in: [web, impostor]) == .one(impostor))
    }

    @Test func nothingElseMatches() {
        let web = Self.container("web", id: "aa11")
        #expect(EngineContainer.match("", in: [web]) == .none)
        #expect(EngineContainer.match("/", in: [web]) == .none)
        #expect(EngineContainer.match("we", in: [web]) == .none)  // names are never prefixes
        #expect(EngineContainer.match("AA11", in: [web]) == .none)  // IDs are lowercase
        #expect(EngineContainer.match("ab", in: [web]) == .none)
        #expect(EngineContainer.match("web", in: []) == .none)
    }

    @Test func oneNameInTwoEnginesIsAmbiguous() {
        let docker = Self.container("web", id: "aa11"), podman = Self.container("web", id: "bb22")
        #expect(EngineContainer.match("web", in: [docker, podman]) == .ambiguous([docker, podman]))
    }

    @Test func namesAreComparedByteForByte() {
        let composed = Self.container("caf\u{e9}", id: "aa11")
        #expect(EngineContainer.match("cafe\u{301}", in: [composed]) == .none)
        #expect(EngineContainer.match("caf\u{e9}", in: [composed]) == .one(composed))
    }

    @Test func theRealContainersAreFoundByNameAndShortID() throws {
        let list = try EngineAPIFixtures.summaries("docker").map {
            EngineContainer(id: $0.id, name: $0.name, image: $0.image, state: $0.state, pid: nil, networks: $0.networks, ports: $0.ports)
        }
        let web = try #require(list.first { $0.name == "web" })
        #expect(EngineContainer.match("web", in: list) == .one(web))
        #expect(EngineContainer.match(web.shortID, in: list) == .one(web))
        #expect(EngineContainer.match("hoptest", in: list) == .none)
    }
}
