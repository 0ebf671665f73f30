import Foundation

/// Remembers which namespaces a lab made, so `down` removes those and only those,
/// and `up` refuses to adopt a namespace somebody else made.
struct LabOwnership: Sendable {
    let prefix: String
    let directory = "/run/hoptrace/lab"
    var file: String { directory + "/\(prefix).namespaces" }

    func ownedNamespaces() -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    /// Recorded before the namespace is made, so a crash in between cannot orphan it.
    func claim(_ ns: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let owned = ownedNamespaces()
        guard !owned.contains(ns) else { return }
        try (owned + [ns]).joined(separator: "\n").appending("\n").write(toFile: file, atomically: true, encoding: .utf8)
    }

    func release() {
        try? FileManager.default.removeItem(atPath: file)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in leftovers where name.hasPrefix("\(prefix)-serve-") {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }
}
