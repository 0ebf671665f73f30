import Foundation
import HoptraceSystem
import Testing

/// Least privilege (issue 14, finding 9): `watch` keeps only CAP_NET_ADMIN, CAP_NET_RAW and
/// CAP_SYS_ADMIN once its handles are open, in every thread, passes them to ip/nft/nsenter
/// as ambient capabilities and sets no_new_privs; `-r` keeps nothing (and becomes SUDO_UID);
/// a user with the three file capabilities can watch and explain; without them the error
/// names the capability. `--debug-caps` prints each thread's /proc status after the drop.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct PrivilegeIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    static let kept = "CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN"
    static let fixture = Hoptrace.packageRoot.appendingPathComponent("Tests/Fixtures/scenarios/s2-ping-masquerade.pcapng").path

    /// Two namespaces joined by a veth pair (a: 10.77.0.1, b: 10.77.0.2), removed afterwards.
    /// b accepts echo requests by a rule of its own, so a trace there ends in a rule verdict.
    final class Pair {
        let a: String, b: String
        init(_ tag: String) throws {
            a = "hti\(getpid() % 10000)\(tag)a"
            b = "hti\(getpid() % 10000)\(tag)b"
            for ns in [a, b] { try Self.ip(["netns", "add", ns]) }
            try Self.ip(["-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b])
            try Self.ip(["-n", a, "addr", "add", "10.77.0.1/24", "dev", "va"])
            try Self.ip(["-n", b, "addr", "add", "10.77.0.2/24", "dev", "vb"])
            try Self.ip(["-n", a, "link", "set", "va", "up"])
            try Self.ip(["-n", b, "link", "set", "vb", "up"])
            for script in ["add table inet htpriv", "add chain inet htpriv in { type filter hook input priority 0; policy accept; }",
                           "add rule inet htpriv in icmp type echo-request counter accept"] {
                let r = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", b, "nft", script])
                guard r.status == 0 else { throw TestFailure("nft \(script): \(r.stderr)") }
            }
        }
        var points: [String] { ["-i", "\(a):va", "-i", "\(b):vb"] }
        static let traced = #""verdict":"inet htpriv in rule handle"#
        static func ip(_ args: [String]) throws {
            let r = try Hoptrace.exec(["/usr/sbin/ip"] + args)
            guard r.status == 0 else { throw TestFailure("ip \(args.joined(separator: " ")): \(r.stderr)") }
        }
        func ping() throws { _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", a, "ping", "-c", "3", "-i", "0.2", "10.77.0.2"]) }
        deinit { for ns in [a, b] { _ = try? Hoptrace.exec(["/usr/sbin/ip", "netns", "del", ns]) } }
    }

    /// A copy of the binary that a user (nobody) may run, with `caps` as file capabilities.
    final class UserBinary {
        let dir: String
        var path: String { dir + "/hoptrace" }
        init(caps: String?) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("htcaps-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            // cp in a process of its own: a copy written by this process could still be open for
            // writing in a child another test is forking right now, and exec would fail (ETXTBSY).
            let copied = try Hoptrace.exec(["/bin/cp", Hoptrace.binary, path])
            guard copied.status == 0 else { throw TestFailure("cp: \(copied.stderr)") }
            if let caps {
                let r = try Hoptrace.exec(["/usr/sbin/setcap", caps, path])
                guard r.status == 0 else { throw TestFailure("setcap \(caps): \(r.stderr)") }
            }
        }
        func run(_ args: [String]) throws -> Hoptrace.Output {
            try Hoptrace.exec(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", path] + args)
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// The `--debug-caps` lines, one per thread.
    static func threads(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("hoptrace: caps: tid ") }.map(String.init)
    }

    @Test func watchKeepsThreeCapabilitiesInEveryThreadAndTracingStillWorks() throws {
        let pair = try Pair("pv")
        let r = try runWhile(["watch"] + pair.points + ["--json", "--explain", "--duration", "3", "--debug-caps"]) { try pair.ping() }
        #expect(r.status == 0, "\(r.stderr)")
        let lines = Self.threads(r.stderr)
        #expect(!lines.isEmpty, "\(r.stderr)")
        for line in lines {
            #expect(line.hasSuffix(" uid=0/0 eff=\(Self.kept) prm=\(Self.kept) inh=\(Self.kept) bnd=\(Self.kept) amb=\(Self.kept) nnp=1"), "\(line)")
        }
        #expect(!r.stderr.contains("warning"), "\(r.stderr)")
        // nft ran after the drop (explain mode's table went in) and the echo requests were traced.
        #expect(r.stdout.contains(Pair.traced), "\(r.stdout.prefix(2000))")
    }

    @Test func replayKeepsNothingAndBecomesTheSudoUser() throws {
        let plain = try Hoptrace.run(["watch", "-r", Self.fixture, "--flows", "--debug-caps"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let t = Self.threads(plain.stderr)
        #expect(!t.isEmpty && t.allSatisfy { $0.hasSuffix("uid=0/0 eff=none prm=none inh=none bnd=none amb=none nnp=1") }, "\(plain.stderr)")
        let sudo = try Hoptrace.exec(["/usr/bin/env", "SUDO_UID=65534", "SUDO_GID=65534", Hoptrace.binary,
                                      "watch", "-r", Self.fixture, "--flows", "--debug-caps"])
        #expect(sudo.status == 0, "\(sudo.stderr)")
        let u = Self.threads(sudo.stderr)
        #expect(!u.isEmpty && u.allSatisfy { $0.hasSuffix("uid=65534/65534 eff=none prm=none inh=none bnd=none amb=none nnp=1") }, "\(sudo.stderr)")
        // Same verdicts either way: the replay needed none of it.
        #expect(sudo.stdout == plain.stdout)
    }

    @Test func aUserWithTheThreeFileCapabilitiesWatchesAndExplains() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/setcap"), "setcap missing: apt-get install libcap2-bin")
        let pair = try Pair("pu")
        let bin = try UserBinary(caps: "cap_net_admin,cap_net_raw,cap_sys_admin+ep")
        let r = try runWhile(["watch"] + pair.points + ["--json", "--explain", "--duration", "3", "--debug-caps"], binary: bin) { try pair.ping() }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("warning"), "ip/nft/nsenter ran without the ambient capabilities: \(r.stderr)")
        let t = Self.threads(r.stderr)
        #expect(!t.isEmpty && t.allSatisfy { $0.contains("uid=65534/65534 eff=\(Self.kept) prm=\(Self.kept) inh=\(Self.kept)") && $0.hasSuffix("amb=\(Self.kept) nnp=1") },
                "\(r.stderr)")
        #expect(r.stdout.contains(#""proto":"icmp""#), "\(r.stdout.prefix(2000))")
        #expect(r.stdout.contains(Pair.traced), "\(r.stdout.prefix(2000))")
    }

    @Test func withoutCapabilitiesTheErrorNamesTheOneMissing() throws {
        let pair = try Pair("pn")
        let none = try UserBinary(caps: nil)
        let ns = try none.run(["watch", "-i", "\(pair.a):va", "--json", "--duration", "1"])
        #expect(ns.status != 0 && ns.stderr.contains("needs CAP_SYS_ADMIN"), "\(ns.stderr)")
        let raw = try none.run(["watch", "-i", "lo", "--no-conntrack", "--json", "--duration", "1"])
        #expect(raw.status != 0 && raw.stderr.contains("needs CAP_NET_RAW"), "\(raw.stderr)")
        let replay = try none.run(["watch", "-r", Self.fixture, "--flows"])
        #expect(replay.status == 0, "a replay needs no privilege: \(replay.stderr)")
        let rawOnly = try UserBinary(caps: "cap_net_raw+ep")
        let ct = try rawOnly.run(["watch", "-i", "lo", "--json", "--duration", "1"])
        #expect(ct.status != 0 && ct.stderr.contains("conntrack events need CAP_NET_ADMIN"), "\(ct.stderr)")
        let doctor = try rawOnly.run(["doctor"])
        #expect(doctor.stdout.contains("without CAP_NET_ADMIN,CAP_SYS_ADMIN"), "\(doctor.stdout)")
    }

    /// Runs `args` (as root, or through `binary` as nobody), waits for "watching", then `action`.
    private func runWhile(_ args: [String], binary: UserBinary? = nil, _ action: () throws -> Void) throws -> Hoptrace.Output {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("htcaps-\(UUID().uuidString).out").path
        let err = out + ".err"
        defer { unlink(out); unlink(err) }
        let argv = binary.map { ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", $0.path] } ?? [Hoptrace.binary]
        // The files are opened before setpriv runs: as root, like the descriptors a parent hands down.
        let p = try Subprocess.launch(argv + args, stdin: .inherit, stdout: .file(out), stderr: .file(err))
        for _ in 0..<400 where !((try? String(contentsOfFile: err, encoding: .utf8)) ?? "").contains("hoptrace: watching") { usleep(50_000) }
        try action()
        let termination = p.wait()
        return Hoptrace.Output(status: termination.code, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
