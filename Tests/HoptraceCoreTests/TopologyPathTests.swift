import Testing
import HoptraceCore

@Suite struct TopologyPathTests {
    static let s2Watched: Set<CapturePoint> = Set(
        ["htns1:eth0", "hthost:veth1", "hthost:docker1", "hthost:enX0", "htremote:enX0"].map(point))
    static let allLabPoints: Set<CapturePoint> = Set(
        ["htns0:eth0", "htns1:eth0", "hthost:veth0", "hthost:veth1", "hthost:docker1", "hthost:enX0", "htremote:enX0"]
            .map(point))

    @Test func s2RequestGoesUpThroughTheBridgeAndOutTheUplink() throws {
        let lab = try LabTopology.topology()
        let path = lab.expectedPath(firstSeen: point("htns1:eth0"), dst: ip("172.31.45.174"), watched: Self.s2Watched)
        #expect(path == ["htns1:eth0", "hthost:veth1", "hthost:docker1", "hthost:enX0", "htremote:enX0"].map(point))
        let walk = lab.walkPath(firstSeen: point("htns1:eth0"), dst: ip("172.31.45.174"))
        #expect(walk.stop == PathStop(netns: "htremote", reason: .delivered(iface: "enX0", destination: ip("172.31.45.174"))))
        #expect(!walk.stop.isProblem)
    }

    @Test func s2ReplyIsUnSNATedOnTheHostAndBridgedDownToNs1() throws {
        let lab = try LabTopology.topology()
        let path = lab.expectedPath(
            firstSeen: point("htremote:enX0"), dst: ip("172.31.39.53"), translatedDst: ip("172.18.0.3"),
            watched: Self.s2Watched)
        #expect(path == ["htremote:enX0", "hthost:enX0", "hthost:docker1", "hthost:veth1", "htns1:eth0"].map(point))
        // Even with ns0's points watched, the reply goes only towards ns1.
        let all = lab.expectedPath(
            firstSeen: point("htremote:enX0"), dst: ip("172.31.39.53"), translatedDst: ip("172.18.0.3"),
            watched: Self.allLabPoints)
        #expect(all == path)
        #expect(lab.walkPath(firstSeen: point("htremote:enX0"), dst: ip("172.31.39.53"), translatedDst: ip("172.18.0.3")).stop
            == PathStop(netns: "htns1", reason: .delivered(iface: "eth0", destination: ip("172.18.0.3"))))
    }

    @Test func withoutTranslationTheReplyEndsOnTheHost() throws {
        let lab = try LabTopology.topology()
        let walk = lab.walkPath(firstSeen: point("htremote:enX0"), dst: ip("172.31.39.53"))
        #expect(walk.hops == ["htremote:enX0", "hthost:enX0"].map(point))
        #expect(walk.stop == PathStop(netns: "hthost", reason: .delivered(iface: "enX0", destination: ip("172.31.39.53"))))
    }

    @Test func s7DNATFromTheHostsArrivingUplink() throws {
        let lab = try LabTopology.topology()
        let fromRemote = lab.expectedPath(
            firstSeen: point("htremote:enX0"), dst: ip("172.31.39.53"), translatedDst: ip("172.18.0.3"),
            watched: Self.s2Watched)
        #expect(fromRemote == ["htremote:enX0", "hthost:enX0", "hthost:docker1", "hthost:veth1", "htns1:eth0"].map(point))
        // First seen where it arrives (the remote not watched): the walk starts there.
        let watched = Self.s2Watched.subtracting([point("htremote:enX0")])
        let fromHost = lab.expectedPath(
            firstSeen: point("hthost:enX0"), dst: ip("172.31.39.53"), translatedDst: ip("172.18.0.3"), watched: watched)
        #expect(fromHost == ["hthost:enX0", "hthost:docker1", "hthost:veth1", "htns1:eth0"].map(point))
    }

    @Test func ns1ToNs0IsBridgedNeverRouted() throws {
        let lab = try LabTopology.topology()
        let path = lab.expectedPath(firstSeen: point("htns1:eth0"), dst: ip("172.18.0.2"), watched: Self.allLabPoints)
        #expect(path == ["htns1:eth0", "hthost:veth1", "hthost:veth0", "htns0:eth0"].map(point))
        // Its first sighting on the host port gives the same rest of the path.
        let fromPort = lab.expectedPath(firstSeen: point("hthost:veth1"), dst: ip("172.18.0.2"), watched: Self.allLabPoints)
        #expect(fromPort == ["hthost:veth1", "hthost:veth0", "htns0:eth0"].map(point))
        // And first seen leaving through veth0, it is going down to ns0.
        let fromVeth0 = lab.expectedPath(firstSeen: point("hthost:veth0"), dst: ip("172.18.0.2"), watched: Self.allLabPoints)
        #expect(fromVeth0 == ["hthost:veth0", "htns0:eth0"].map(point))
    }

    @Test func firstSeenOnTheBridgeGoingDown() throws {
        let lab = try LabTopology.topology()
        let path = lab.expectedPath(firstSeen: point("hthost:docker1"), dst: ip("172.18.0.3"), watched: Self.allLabPoints)
        #expect(path == ["hthost:docker1", "hthost:veth1", "htns1:eth0"].map(point))
    }

    @Test func unwatchedPointsAreLeftOutButTheFirstIsKept() throws {
        let lab = try LabTopology.topology()
        let path = lab.expectedPath(
            firstSeen: point("htns1:eth0"), dst: ip("172.31.45.174"),
            watched: [point("hthost:docker1"), point("htremote:enX0")])
        #expect(path == ["htns1:eth0", "hthost:docker1", "htremote:enX0"].map(point))
    }

    @Test func s6NoDefaultRouteInNs1() throws {
        let lab = try LabTopology.topology(s6: true)
        let problem = try #require(lab.pathProblem(originatingIn: "htns1", dst: ip("8.8.8.8")))
        #expect(problem == PathStop(netns: "htns1", reason: .noRoute(destination: ip("8.8.8.8"))))
        #expect(problem.description == "htns1 has no route to 8.8.8.8")
        #expect(lab.walkPath(originatingIn: "htns1", dst: ip("8.8.8.8")).hops.isEmpty)
        #expect(try lab.route(in: "htns1", to: ip("8.8.8.8")) == .unreachable(netns: "htns1", destination: ip("8.8.8.8")))
        // With its default route ns1 reaches the host, which has no route to 8.8.8.8 either.
        let s2 = try LabTopology.topology()
        #expect(s2.pathProblem(originatingIn: "htns1", dst: ip("8.8.8.8"))
            == PathStop(netns: "hthost", reason: .noRoute(destination: ip("8.8.8.8"))))
        #expect(s2.walkPath(originatingIn: "htns1", dst: ip("8.8.8.8")).hops
            == ["htns1:eth0", "hthost:veth1", "hthost:docker1"].map(point))
    }

    @Test func ipForwardOffStopsTheRequestOnTheHost() throws {
        let lab = try LabTopology.topology { snapshots in
            for i in snapshots.indices where snapshots[i].name == "hthost" { snapshots[i].ipForward = false }
        }
        let walk = lab.walkPath(firstSeen: point("htns1:eth0"), dst: ip("172.31.45.174"))
        #expect(walk.hops == ["htns1:eth0", "hthost:veth1", "hthost:docker1"].map(point))
        #expect(walk.stop == PathStop(
            netns: "hthost", reason: .forwardingDisabled(inIface: "docker1", outIface: "enX0", destination: ip("172.31.45.174"))))
        #expect(walk.stop.isProblem)
        #expect(walk.stop.description.contains("ip_forward is 0"))
        // Bridged traffic does not need ip_forward.
        #expect(lab.pathProblem(firstSeen: point("htns1:eth0"), dst: ip("172.18.0.2")) == nil)
    }

    @Test func localDeliveryInTheFirstNamespace() throws {
        let lab = try LabTopology.topology()
        let walk = lab.walkPath(firstSeen: point("htns1:eth0"), dst: ip("172.18.0.3"))
        #expect(walk.hops == [point("htns1:eth0")])
        #expect(walk.stop == PathStop(netns: "htns1", reason: .delivered(iface: "eth0", destination: ip("172.18.0.3"))))
        #expect(lab.walkPath(originatingIn: "hthost", dst: ip("172.18.0.1")).hops.isEmpty)
    }

    @Test func leavingTowardsAnUnwatchedNamespace() throws {
        let lab = try Topology(["htns1", "hthost"].map { try LabTopology.snapshot($0) })
        let walk = lab.walkPath(firstSeen: point("htns1:eth0"), dst: ip("172.31.45.174"))
        #expect(walk.hops == ["htns1:eth0", "hthost:veth1", "hthost:docker1", "hthost:enX0"].map(point))
        #expect(walk.stop == PathStop(netns: "hthost", reason: .leftTopology(iface: "enX0", towards: "htremote")))
        #expect(!walk.stop.isProblem)
    }

    @Test func unknownStartingPoint() throws {
        let lab = try LabTopology.topology()
        let walk = lab.walkPath(firstSeen: point("hthost:eth9"), dst: ip("172.18.0.3"))
        #expect(walk.stop == PathStop(netns: "hthost", reason: .unknownInterface("eth9")))
        #expect(lab.expectedPath(firstSeen: point("hthost:eth9"), dst: ip("172.18.0.3"), watched: []) == [point("hthost:eth9")])
        #expect(lab.walkPath(originatingIn: "nope", dst: ip("1.1.1.1")).stop.reason == .unknownNamespace)
    }
}
