import Testing
@testable import HoptraceCore

/// Capture points are interned: the same names are the same point, names survive the
/// round trip, and the table's bounds hold.
struct CapturePointNamesTests {
    @Test func sameNamesAreTheSamePointAndNamesRoundTrip() {
        let a = CapturePoint(netns: "htns1", iface: "eth0"), b = CapturePoint(netns: "htns1", iface: "eth0")
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != CapturePoint(netns: nil, iface: "eth0"))
        #expect(a != CapturePoint(netns: "htns1", iface: "eth1"))
        // A namespace path longer than a small string, and a name no one else uses.
        let long = CapturePoint(netns: "/var/run/docker/netns/0123456789ab", iface: "eth0-\(UInt64.random(in: 0...UInt64.max))")
        #expect(long.netns == "/var/run/docker/netns/0123456789ab")
        #expect(long.iface.hasPrefix("eth0-"))
        #expect(long.description == "/var/run/docker/netns/0123456789ab:\(long.iface)")
        #expect(Set([a, b, long]).count == 2)
    }

    @Test func settingANameMakesTheOtherPoint() {
        var p = CapturePoint(netns: "hthost", iface: "veth1")
        p.iface = "docker1"
        #expect(p == CapturePoint(netns: "hthost", iface: "docker1"))
        p.netns = nil
        #expect(p == CapturePoint(netns: nil, iface: "docker1") && p.description == "docker1")
    }

    @Test func pointsMadeOnManyThreadsAgree() async {
        let names = (0..<200).map { "if\($0)" }
        let made = await withTaskGroup(of: [CapturePoint].self) { g in
            for _ in 0..<8 { g.addTask { names.shuffled().map { CapturePoint(netns: "concurrent", iface: $0) }.sorted { $0.iface < $1.iface } } }
            return await g.reduce(into: [[CapturePoint]]()) { $0.append($1) }
        }
        #expect(Set(made.flatMap { $0 }).count == 200)
        #expect(made.allSatisfy { $0 == made[0] })
        #expect(made[0].map(\.iface) == names.sorted())
    }

    @Test func pastItsCountTheTableNamesTheOverflow() {
        let t = CapturePointNames(maxCount: 2000, maxNameBytes: 1 << 20)
        let handles = (0..<3000).map { t.intern(netns: "ns", iface: "if\($0)") }
        #expect(Set(handles.prefix(1999)).count == 1999)
        #expect(t.names(handles[1998]).iface == "if1998")
        #expect(Set(handles.dropFirst(1999)).count == 1)
        #expect(t.names(handles[2500]).description == "(too many capture points)")
        // Names interned before the table filled keep their entries.
        #expect(t.intern(netns: "ns", iface: "if7") == handles[7])
        #expect(t.count == 2000)
    }

    @Test func pastItsBytesTheTableNamesTheOverflow() {
        let t = CapturePointNames(maxCount: 1 << 16, maxNameBytes: 100)
        let small = t.intern(netns: "a", iface: "b")
        let big = t.intern(netns: String(repeating: "n", count: 200), iface: "eth0")
        #expect(t.names(small).description == "a:b")
        #expect(t.names(big).iface == "(too many capture points)")
        #expect(t.intern(netns: "c", iface: "d") != big)
        // A name is counted with its JSON: 14 control characters are 14 bytes, but 86 quoted.
        let controls = t.intern(netns: String(repeating: "\u{1}", count: 14), iface: "e")
        #expect(t.names(controls).iface == "(too many capture points)")
    }
}
