import Foundation
import HoptraceCore

/// The lab's recordings (Tests/Fixtures/scenarios) replayed through a Session the way
/// the live loop feeds it: paths from the lab's `ip -j` dumps, the five lab points watched.
enum Scenario: String, CaseIterable {
    case s1 = "s1-ping-no-nat"
    case s2 = "s2-ping-masquerade"
    case s3 = "s3-ping-forward-drop"
    case s4 = "s4-ping-no-return-rule"
    case s7 = "s7-connect-dnat"

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static let watched = ["htns1:eth0", "hthost:veth1", "hthost:docker1", "hthost:enX0", "htremote:enX0"]
        .map { CapturePoint(parsing: $0)! }

    static func topology() throws -> Topology {
        let dir = fixtures.appendingPathComponent("topology/lab-s2")
        func data(_ f: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(f)) }
        let names: [String] = ["htns0", "htns1", "hthost", "htremote"]
        let snapshots = try names.map { (ns: String) in
            try NamespaceSnapshot(
                name: ns, linkJSON: data("\(ns).link.json"), addrJSON: data("\(ns).addr.json"),
                routeJSON: data("\(ns).route.json"), nsidJSON: data("\(ns).nsid.json"),
                ipForward: NamespaceSnapshot.parseIPForward(String(decoding: try data("\(ns).ip_forward"), as: UTF8.self)))
        }
        return try Topology(snapshots)
    }

    /// A fresh session fed the whole recording, then 5 s more so every verdict settles.
    func session() throws -> Session {
        let paths = TopologyPaths(try Self.topology(), watched: Set(Self.watched))
        let session = Session(points: Self.watched, correlator: Correlator(paths: paths))
        let bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("scenarios/\(rawValue).pcapng")))
        var decoder = RecordingDecoder()
        decoder.feed(bytes)
        var last = EventTime(micros: 0)
        while let event = try decoder.next() {
            switch event {
            case .packet(let point, let time, _, _, let decoded):
                last = max(last, time)
                switch decoded {
                case .success(let p): _ = session.packet(p, at: point, time: time)
                case .failure(let error): session.malformed(at: point, time: time, error: error)
                }
            case .conntrack(let netns, let e, let time):
                last = max(last, time)
                _ = session.conntrack(e, netns: netns, time: time)
            case .captureLoss(let r):
                session.correlator.captureLost(at: r.point, dropped: r.dropped, from: r.from, to: r.to)
            case .interfaces, .topology, .kernelCounters, .dropReasons:
                break
            }
        }
        try decoder.finish()
        _ = session.advance(to: last.adding(seconds: 5))
        return session
    }
}
