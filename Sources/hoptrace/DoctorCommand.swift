import ArgumentParser
import Foundation
import HoptraceCore
import HoptracePipeline

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that this machine can run hoptrace, and say what to do where it can't.")

    func run() throws {
        let checks = DoctorProbes.all()
        Console.out(DoctorReport.render(checks), terminator: "")
        let code = DoctorReport.exitCode(checks)
        if code != 0 { throw ExitCode(code) }
    }
}
