import Foundation
import Testing
import HoptraceTUI

/// Rendered screens compared with committed text files (Snapshots/NAME.txt).
/// `HOPTRACE_RECORD_SNAPSHOTS=1 swift test --filter HoptraceTUITests` writes them;
/// otherwise a mismatch fails with a line diff and never rewrites the file.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func assert(_ screen: ScreenBuffer, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = screen.text + "\n"
        let url = directory.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["HOPTRACE_RECORD_SNAPSHOTS"] == "1" {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no snapshot \(name).txt: run with HOPTRACE_RECORD_SNAPSHOTS=1 to record it\n\(actual)",
                         sourceLocation: sourceLocation)
            return
        }
        guard expected != actual else { return }
        Issue.record("snapshot \(name) differs (- expected, + actual):\n\(diff(expected, actual))", sourceLocation: sourceLocation)
    }

    static func diff(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? String(x[i]) : nil, r = i < y.count ? String(y[i]) : nil
            if l == r { continue }
            if let l { out.append(String(format: "-%3d|", i + 1) + l) }
            if let r { out.append(String(format: "+%3d|", i + 1) + r) }
        }
        return out.joined(separator: "\n")
    }
}
