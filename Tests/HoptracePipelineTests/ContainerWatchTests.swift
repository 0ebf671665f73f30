import HoptraceCapture
import HoptraceCore
@testable import HoptracePipeline
import Testing

/// Containers starting and stopping mid-run: what changed between two looks at the engines
/// (by id: a container recreated under its name is a stop and a start), and the notice each
/// change becomes. (`Running` and `ContainerWatch` have no public initialiser: hence @testable.)
@Suite struct ContainerWatchTests {
    typealias Running = ContainerWatch.Running

    /// A 64-hex id starting with `prefix`.
    static func id(_ prefix: String) -> String { prefix + String(repeating: "0", count: 64 - prefix.count) }

    static func running(_ name: String, _ idPrefix: String, _ engine: ContainerEngineKind = .docker) -> Running {
        Running(id: id(idPrefix), name: name, engine: engine)
    }

    static let web = running("web", "a1b2c3d4e5f6a7b8"), db = running("db", "0123456789abcdef", .podman)
    static let cache = running("cache", "cafe0000cafe1111"), api = running("api", "a9a9a9a9a9a9b0b0")

    static let watch = ContainerWatch(endpoints: [], kinds: [], running: [web, db, cache])

    // MARK: - changes(from:to:)

    @Test func nothingChangedIsNoChange() {
        #expect(ContainerWatch.changes(from: [Self.web, Self.db], to: [Self.web, Self.db]).isEmpty)
        // Listed in another order is the same set.
        #expect(ContainerWatch.changes(from: [Self.web, Self.db], to: [Self.db, Self.web]).isEmpty)
        #expect(ContainerWatch.changes(from: [], to: []).isEmpty)
    }

    @Test func aContainerThatIsGoneStopped() {
        #expect(ContainerWatch.changes(from: [Self.web, Self.db], to: [Self.web]) == [.stopped(Self.db)])
        #expect(ContainerWatch.changes(from: [Self.web], to: []) == [.stopped(Self.web)])
    }

    @Test func aNewContainerStarted() {
        #expect(ContainerWatch.changes(from: [Self.web], to: [Self.web, Self.api]) == [.started(Self.api)])
        #expect(ContainerWatch.changes(from: [], to: [Self.db]) == [.started(Self.db)])
    }

    @Test func recreatedUnderTheSameNameIsAStopAndAStart() {
        let newWeb = Self.running("web", "ffff000011112222")
        #expect(ContainerWatch.changes(from: [Self.web], to: [newWeb]) == [.stopped(Self.web), .started(newWeb)])
        // Same id, though renamed: the same container, no change.
        var renamed = Self.web
        renamed.name = "web-renamed"
        #expect(ContainerWatch.changes(from: [Self.web], to: [renamed]).isEmpty)
    }

    @Test func stopsComeFirstThenEachByName() {
        let newWeb = Self.running("web", "ffff000011112222")
        let zeta = Self.running("zeta", "7777777777777777")
        let before = [Self.web, Self.db, Self.cache, zeta]
        let now = [newWeb, Self.api, Self.cache, Self.running("backup", "8888888888888888")]
        #expect(ContainerWatch.changes(from: before, to: now) == [
            .stopped(Self.db), .stopped(Self.web), .stopped(zeta),
            .started(Self.api), .started(Self.running("backup", "8888888888888888")), .started(newWeb),
        ])
    }

    // MARK: - notice(_:points:)

    static let points = [CapturePoint(netns: "web", iface: "eth0"), CapturePoint(netns: "htdkhost", iface: "docker0"),
                         CapturePoint(netns: "web", iface: "eth1"), CapturePoint(netns: nil, iface: "eth0")]

    @Test func aWatchedContainerStoppingNamesThePointsThatWentWithIt() {
        let n = Self.watch.notice(.stopped(Self.web), points: Self.points)
        #expect(n.kind == "container-stopped")
        #expect(n.message == "docker container web (a1b2c3d4e5f6) stopped: its points web:eth0, web:eth1 are no longer captured; the others keep running")
    }

    @Test func anUnwatchedContainerStoppingSaysSo() {
        let n = Self.watch.notice(.stopped(Self.db), points: Self.points)
        #expect(n.kind == "container-stopped")
        #expect(n.message == "podman container db (0123456789ab) stopped: not watched")
        // No points at all: the same.
        #expect(Self.watch.notice(.stopped(Self.web), points: []).message == "docker container web (a1b2c3d4e5f6) stopped: not watched")
    }

    @Test func aStartedContainerIsNotWatchedAndTheNoticeSaysHowToFollowIt() {
        let n = Self.watch.notice(.started(Self.api), points: Self.points)
        #expect(n.kind == "container-started")
        #expect(n.message == "docker container api (a9a9a9a9a9a9) started; not watched by this run (its points were fixed at start): 'hoptrace watch --container api' follows it")
        let p = Self.watch.notice(.started(Self.db), points: [])
        #expect(p.message == "podman container db (0123456789ab) started; not watched by this run (its points were fixed at start): 'hoptrace watch --container db' follows it")
    }

    @Test func aShortIDIsShownWhole() {
        let short = Running(id: "abc", name: "tiny", engine: .docker)
        #expect(Self.watch.notice(.stopped(short), points: []).message == "docker container tiny (abc) stopped: not watched")
    }

    @Test func theEnginesAreLookedAtEveryTwoSeconds() {
        #expect(ContainerWatch.interval == 2.0)
    }
}
