import Glibc

/// The one way hoptrace finds a program it runs (ip, nft, nsenter, iptables, tcpdump, tmux):
/// `$PATH` first, then the sbin and bin directories, which a non-login PATH (sudo's
/// secure_path aside, cron, a service) may lack although Debian keeps ip, iptables and nft
/// there. A tool that is missing is named with the Debian package that provides it.
public enum ToolLocator {
    static let fallbackDirectories = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"]

    /// The executable's path, or nil. A path (anything with a `/`) is taken as given.
    public static func locate(_ tool: String) -> String? {
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        guard !tool.isEmpty else { return nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        for dir in path.split(separator: ":").map(String.init) + fallbackDirectories where dir.hasPrefix("/") {
            let candidate = dir + "/" + tool
            var st = stat()
            if stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// The Debian package to install for `tool`.
    public static func package(providing tool: String) -> String {
        switch tool {
        case "ip", "bridge": "iproute2"
        case "nft": "nftables"
        case "iptables", "ip6tables", "iptables-nft", "iptables-legacy": "iptables"
        case "sysctl": "procps"
        case "ping": "iputils-ping"
        case "nsenter", "setsid", "unshare", "setpriv", "script": "util-linux"
        case "conntrack": "conntrack"
        case "tcpdump": "tcpdump"
        case "tmux": "tmux"
        case "setcap", "getcap", "capsh": "libcap2-bin"
        case "python3": "python3"
        default: tool
        }
    }
}
