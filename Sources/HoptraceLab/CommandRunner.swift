import Foundation

/// What a finished command left behind.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var succeeded: Bool { status == 0 }
}

/// Runs iproute2/iptables the way the articles do: as separate programs.
/// A failure carries the exact command line and its stderr.
public struct CommandRunner: Sendable {
    public init() {}

    /// Runs argv and returns its result; throws only when it cannot start.
    public func result(_ argv: [String]) throws -> CommandResult {
        let exec = try Self.resolved(argv)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exec[0])
        process.arguments = Array(exec.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read stderr on another thread so a chatty command cannot fill one pipe and block.
        let errBox = DataBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let errData = errBox.data
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs argv and throws `LabError.commandFailed` unless it exits 0.
    @discardableResult
    public func run(_ argv: [String]) throws -> CommandResult {
        let r = try result(argv)
        guard r.succeeded else { throw LabError.commandFailed(command: argv, status: r.status, stderr: r.stderr) }
        return r
    }

    /// Starts a daemon (via `setsid -f`) with no pipes to us, so our reads never
    /// wait on its lifetime; throws if the launcher itself fails.
    public func spawnDetached(_ argv: [String]) throws {
        let exec = try Self.resolved(argv)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let cArgs = exec.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exec[0], &actions, nil, cArgs, environ)
        guard rc == 0 else {
            throw LabError.commandFailed(command: argv, status: -1, stderr: String(cString: strerror(rc)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status >> 8) & 0xFF
        guard status & 0x7F == 0, exit == 0 else {
            throw LabError.commandFailed(command: argv, status: exit, stderr: "")
        }
    }

    /// `argv` as it is started: every program in it named by the path `locate` finds, also
    /// the ones that `ip netns exec NS` and `setsid [-f]` start in turn. Those would search
    /// their own inherited PATH, which may lack sbin (`ip` found here, `iptables` or `sysctl`
    /// then not found by ip), and a missing tool would surface as ip's "exec of ... failed"
    /// instead of `LabError.toolMissing` with its package. The lab's one way to find a tool.
    /// A failure still reports the argv as given (short names).
    public static func resolved(_ argv: [String]) throws -> [String] {
        guard let tool = argv.first else { throw LabError.commandFailed(command: argv, status: -1, stderr: "no program given") }
        let rest = Array(argv.dropFirst())
        var head = [try locate(tool)]
        let tail: [String]
        switch tool {
        case "ip" where rest.count > 3 && rest[0] == "netns" && rest[1] == "exec":
            head += rest.prefix(3)
            tail = Array(rest.dropFirst(3))
        case "setsid" where rest.contains(where: { !$0.hasPrefix("-") }):
            let options = rest.prefix { $0.hasPrefix("-") }
            head += options
            tail = Array(rest.dropFirst(options.count))
        default:
            return head + rest
        }
        return head + (try resolved(tail))
    }

    /// Debian keeps ip, iptables and sysctl in sbin, which a non-login PATH may lack.
    public static func locate(_ tool: String) throws -> String {
        if tool.hasPrefix("/") { return tool }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in path + ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let candidate = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw LabError.toolMissing(tool, package: packageProviding(tool))
    }

    static func packageProviding(_ tool: String) -> String {
        switch tool {
        case "ip": return "iproute2"
        case "iptables": return "iptables"
        case "nft": return "nftables"
        case "sysctl": return "procps"
        case "ping": return "iputils-ping"
        case "setsid": return "util-linux"
        default: return tool
        }
    }
}

/// Hands the stderr bytes from the reader thread back; the group's wait orders the access.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
