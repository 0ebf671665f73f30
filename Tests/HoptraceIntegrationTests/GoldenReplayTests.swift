import Foundation
import Testing

/// The lab scenarios, recorded with `watch -w` (scripts/record-fixtures), replayed through
/// the whole pipeline (`watch -r FILE --flows`): the flow lines must match the committed
/// ones. Needs no root: only the binary and the recordings.
/// After a deliberate change, regenerate with HOPTRACE_RECORD_GOLDEN=1 and read the diff.
@Suite struct GoldenReplayTests {
    static let scenarios = Hoptrace.packageRoot.appendingPathComponent("Tests/Fixtures/scenarios")

    @Test(arguments: ["s1-ping-no-nat", "s2-ping-masquerade", "s3-ping-forward-drop", "s4-ping-no-return-rule", "s7-connect-dnat"])
    func flowLinesMatchTheCommittedOnes(_ name: String) throws {
        let recording = Self.scenarios.appendingPathComponent("\(name).pcapng").path
        let expected = Self.scenarios.appendingPathComponent("\(name).flows.ndjson")
        let r = try Hoptrace.run(["watch", "-r", recording, "--flows"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "the recording carries its topology: \(r.stderr)")
        if ProcessInfo.processInfo.environment["HOPTRACE_RECORD_GOLDEN"] == "1" {
            try r.stdout.write(to: expected, atomically: true, encoding: .utf8)
            return
        }
        let want = try String(contentsOf: expected, encoding: .utf8)
        let got = r.stdout.split(separator: "\n"), wanted = want.split(separator: "\n")
        #expect(got.count == wanted.count, "\(got.count) flow lines, expected \(wanted.count)")
        for (i, (g, w)) in zip(got, wanted).enumerated() where g != w {
            Issue.record("line \(i + 1) differs:\n got  \(g)\n want \(w)")
            break
        }
    }

    /// What each scenario must conclude, stated independently of the golden files.
    @Test func theFinalVerdictsAreTheScenarios() throws {
        func last(_ name: String) throws -> [String: Any] {
            let r = try Hoptrace.run(["watch", "-r", Self.scenarios.appendingPathComponent("\(name).pcapng").path, "--flows"])
            let line = try #require(r.stdout.split(separator: "\n").last { $0.contains(#""type":"flow""#) })
            return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        func verdict(_ f: [String: Any]) -> [String: Any] { f["verdict"] as? [String: Any] ?? [:] }
        func nat(_ f: [String: Any]) -> [[String: Any]] { f["nat"] as? [[String: Any]] ?? [] }

        let s2 = try last("s2-ping-masquerade")
        #expect(verdict(s2)["state"] as? String == "replied")
        #expect(nat(s2).contains { $0["kind"] as? String == "snat" && $0["from"] as? String == "172.18.0.3" && $0["to"] as? String == "172.31.39.53"
            && $0["between"] as? [String] == ["hthost:docker1", "hthost:enX0"] })
        let s1 = try last("s1-ping-no-nat")
        #expect(verdict(s1)["state"] as? String == "unreplied")
        #expect((verdict(s1)["hint"] as? String)?.contains("MASQUERADE for 172.18.0.0/24") == true)
        let s3 = try last("s3-ping-forward-drop")
        #expect(verdict(s3)["state"] as? String == "vanished")
        #expect((verdict(s3)["reason"] as? String)?.contains("after hthost:docker1, before hthost:enX0") == true)
        let s4 = try last("s4-ping-no-return-rule")
        #expect(verdict(s4)["state"] as? String == "vanished")
        #expect((verdict(s4)["reason"] as? String)?.contains("after hthost:enX0, before hthost:docker1") == true)
        let s7 = try last("s7-connect-dnat")
        #expect(nat(s7).contains { $0["kind"] as? String == "dnat" && $0["to"] as? String == "172.18.0.3" })
    }
}
