import Foundation
import HoptraceCore

/// The lab's iproute2 dumps (Tests/Fixtures/topology/lab-s2), taken with the lab in scenario S2.
enum LabTopology {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/topology/lab-s2")
    static let names = ["htns0", "htns1", "hthost", "htremote"]

    static func data(_ file: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(file))
    }

    /// One namespace; `routes` picks another route dump (e.g. "route-s6").
    static func snapshot(_ ns: String, routes: String = "route") throws -> NamespaceSnapshot {
        let forward = String(decoding: try data("\(ns).ip_forward"), as: UTF8.self)
        return try NamespaceSnapshot(
            name: ns, linkJSON: data("\(ns).link.json"), addrJSON: data("\(ns).addr.json"),
            routeJSON: data("\(ns).\(routes).json"), nsidJSON: data("\(ns).nsid.json"),
            ipForward: NamespaceSnapshot.parseIPForward(forward))
    }

    /// The whole lab; `s6` swaps in htns1's routes without a default; `edit` changes snapshots first.
    static func topology(s6: Bool = false, edit: (inout [NamespaceSnapshot]) -> Void = { _ in }) throws -> Topology {
        var snapshots = try names.map { ns in
            try snapshot(ns, routes: s6 && ns == "htns1" ? "route-s6" : "route")
        }
        edit(&snapshots)
        return try Topology(snapshots)
    }
}

func point(_ text: String) -> CapturePoint { CapturePoint(parsing: text)! }
func ip(_ text: String) -> IPAddress { IPAddress(text)! }
