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

    @Test func readsCapabilitiesFromProcStatus() {
        let caps = Capabilities(procStatus: "Name:\tx\nCapInh:\t0\nCapEff:\t0000000000003000\n")
        #expect(caps?.has(Capabilities.netAdmin) == true)
        #expect(caps?.has(Capabilities.netRaw) == true)
        #expect(caps?.has(Capabilities.sysAdmin) == false)
        #expect(Capabilities(procStatus: "Name:\tx\n") == nil)
    }
}
