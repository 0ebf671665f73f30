import Foundation
import Glibc

/// Runs a command inside a network namespace (`nsenter --net=PATH …`; the command itself for the
/// current namespace), with optional stdin, and returns what it printed. nft and iptables are
/// run this way: simplest, and exactly what a user would type.
enum NamespaceCommand {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ argv: [String], in netnsPath: String?, stdin: String? = nil) throws -> Output {
        let full = (netnsPath.map { ["nsenter", "--net=\($0)", "--"] } ?? []) + argv
        guard let exe = locate(full[0]) else { throw ExplainError.missingTool(full[0]) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = Array(full.dropFirst())
        let tmp = FileManager.default.temporaryDirectory
        let outURL = tmp.appendingPathComponent("hoptrace-\(getpid())-\(UUID().uuidString).out")
        let errURL = tmp.appendingPathComponent("hoptrace-\(getpid())-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try p.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        return Output(status: p.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    static func locate(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return tool }
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"] {
            let path = "\(dir)/\(tool)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }
}

/// Explain mode's failures, each a sentence a user can act on.
public enum ExplainError: Error, CustomStringConvertible, Equatable {
    case missingTool(String)
    case nft(netns: String?, action: String, message: String)
    case socket(netns: String?, function: String, errno: Int32)
    /// Tracing was asked of a session already closed (explain mode turned off).
    case closed(netns: String?, table: String)

    public var description: String {
        switch self {
        case .missingTool(let t):
            return "\(t) not found: explain mode runs it (apt-get install \(t == "nsenter" ? "util-linux" : t == "nft" ? "nftables" : t))"
        case .nft(let ns, let action, let message):
            return "\(ns ?? "current namespace"): nft failed to \(action): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .socket(let ns, let function, let e):
            return "\(ns ?? "current namespace"): \(function): \(String(cString: strerror(e)))"
                + (e == EPERM ? " (nftables tracing needs root / CAP_NET_ADMIN)" : "")
        case .closed(let ns, let table):
            return "\(ns ?? "current namespace"): the trace session of \(table) is closed; turn explain mode on again"
        }
    }
}
