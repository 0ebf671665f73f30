import Foundation
import Testing
import HoptraceCore

@Suite struct DoctorReportTests {
    @Test func exitCodeFollowsRequiredFailuresOnly() {
        let ok = DoctorCheck(name: "a", status: .ok, detail: "fine", required: true)
        let optionalFail = DoctorCheck(name: "b", status: .fail, detail: "no", fix: "do x", required: false)
        let requiredFail = DoctorCheck(name: "c", status: .fail, detail: "no", fix: "do y", required: true)
        #expect(DoctorReport.exitCode([ok, optionalFail]) == 0)
        #expect(DoctorReport.exitCode([ok, requiredFail]) == 1)
    }

    @Test func rendersOneAlignedLinePerCheckWithTheFix() {
        let text = DoctorReport.render([
            DoctorCheck(name: "libpcap", status: .ok, detail: "1.10.3", fix: "ignored", required: true),
            DoctorCheck(name: "tracefs", status: .warn, detail: "not mounted", fix: "mount it", required: false),
        ])
        #expect(text == "OK   libpcap  1.10.3\nWARN tracefs  not mounted — mount it\n")
    }

    static let rootStatus = "Name:\tx\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
        + "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n"

    @Test func readsEveryCapabilitySetFromProcStatus() throws {
        let c = try #require(ThreadCredentials(procStatus: Self.rootStatus.replacingOccurrences(of: "CapEff:\t000001ffffffffff", with: "CapEff:\t0000000000203000")))
        #expect(c.effective == [.netAdmin, .netRaw, .sysAdmin])
        #expect(c.effective.description == "CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN")
        #expect(c.permitted.contains(.dacOverride) && c.permitted.contains(bit: 40) && !c.permitted.contains(bit: 41))
        #expect(c.uid?.real == 0 && c.uid?.effective == 0 && !c.noNewPrivs && c.ambient.isEmpty)
        #expect(!c.holdsAtMost(Capability.watchKeeps))
        #expect(ThreadCredentials(procStatus: "Name:\tx\nCapEff:\t0\n") == nil)
        #expect(CapabilityMask(bits: 1 << 30 | 1 << 12).description == "CAP_NET_ADMIN,cap_30")
    }

    @Test func aUserKeepsItsBoundingSetAndStillHoldsOnlyTheKeptOnes() throws {
        let kept = "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nCapInh:\t0000000000203000\nCapPrm:\t0000000000203000\n"
            + "CapEff:\t0000000000203000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000203000\nNoNewPrivs:\t1\n"
        let c = try #require(ThreadCredentials(procStatus: kept))
        #expect(c.holdsAtMost(Capability.watchKeeps))
        #expect(c.noNewPrivs)
        #expect(c.summary == "uid=1000/1000 eff=CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN prm=CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN "
            + "inh=CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN bnd=\(c.bounding) amb=CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN nnp=1")
        // The same sets at uid 0 would let a child regain the whole bounding set.
        let root = try #require(ThreadCredentials(procStatus: kept.replacingOccurrences(of: "1000", with: "0")))
        #expect(!root.holdsAtMost(Capability.watchKeeps))
    }

    @Test func doctorNamesTheCapabilityEachFeatureNeeds() throws {
        let root = PrivilegeCheck.check(ThreadCredentials(procStatus: Self.rootStatus))
        #expect(root.status == .ok && root.detail.hasPrefix("root with CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN"))
        let rawOnly = Self.rootStatus.replacingOccurrences(of: "Uid:\t0\t0\t0\t0", with: "Uid:\t1000\t1000\t1000\t1000")
            .replacingOccurrences(of: "CapEff:\t000001ffffffffff", with: "CapEff:\t0000000000002000")
        let user = PrivilegeCheck.check(ThreadCredentials(procStatus: rawOnly))
        #expect(user.status == .fail)
        #expect(user.detail == "uid 1000 without CAP_NET_ADMIN,CAP_SYS_ADMIN: no conntrack events and explain mode (nftables), "
            + "no other network namespaces (setns, nsenter, ip -n) (replaying a recording with -r needs none)")
        #expect(user.fix.contains("setcap cap_net_admin,cap_net_raw,cap_sys_admin+ep \"$(command -v hoptrace)\""))
    }
}
