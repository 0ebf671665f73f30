import Foundation
import Testing

/// `--netns` on a namespace full of interfaces, and buffer sizes that wrapped when shifted:
/// refused with the arithmetic before any kernel buffer is taken.
@Suite(.serialized, .enabled(if: Privilege.isRoot, Privilege.reason))
struct CaptureBudgetIntegrationTests {
    init() { Privilege.ciRequiresRoot() }

    @Test func aNamespaceWithManyInterfacesIsRefusedNotPinnedInMemory() throws {
        let ns = "hti\(getpid() % 10000)budget"
        defer { _ = try? Hoptrace.exec(["/usr/sbin/ip", "netns", "del", ns]) }
        #expect(try Hoptrace.exec(["/usr/sbin/ip", "netns", "add", ns]).status == 0)
        // 20 veth pairs inside the namespace: 40 interfaces up (veth is always there; dummy is a module).
        for i in 0..<20 {
            #expect(try Hoptrace.exec(["/usr/sbin/ip", "-n", ns, "link", "add", "va\(i)", "type", "veth", "peer", "name", "vb\(i)"]).status == 0)
            for end in ["va\(i)", "vb\(i)"] { _ = try Hoptrace.exec(["/usr/sbin/ip", "-n", ns, "link", "set", end, "up"]) }
        }
        let r = try Hoptrace.run(["watch", "--netns", ns, "--no-conntrack", "--count", "1"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("40 capture points × 32 MiB = 1280 MiB of kernel capture buffers (at most 1024)"), "\(r.stderr)")
        // A smaller ring per point fits.
        let small = try Hoptrace.run(["watch", "--netns", ns, "--no-conntrack", "--buffer-size", "2", "--duration", "0.5"])
        #expect(small.status == 0, "\(small.stderr)")
    }

    @Test func bufferSizesThatWrappedAreRefused() throws {
        for args in [["--buffer-size", "4096"], ["--buffer-size", "0"], ["--conntrack-buffer", "4194304"], ["--conntrack-buffer", "0"]] {
            let r = try Hoptrace.run(["watch", "-i", "lo", "--count", "1"] + args)
            #expect(r.status != 0 && r.stderr.contains("must be"), "\(args): \(r.stderr)")
        }
    }
}
