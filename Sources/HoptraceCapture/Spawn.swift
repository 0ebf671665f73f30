import Glibc

/// Runs a program and waits for it, stdin and stderr on /dev/null, stdout to a file.
/// For tmux and the like: a daemon that a client forks keeps the client's descriptors, so
/// Foundation's Process (its pipes, its reaping) can wait forever; posix_spawn + waitpid does not.
public enum Spawn {
    /// The exit status (or -1 when it could not start). The caller's signal mask is
    /// inherited, as with any exec.
    @discardableResult
    public static func run(_ argv: [String], stdout: String = "/dev/null") -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }
}
