/// Doctor's privileges line: which features this process's capabilities allow, and what
/// `watch` keeps (`Capability.watchKeeps`). The advice is what hoptrace really does: after
/// opening its sockets it keeps exactly these three and hands them to ip, nft and nsenter
/// as ambient capabilities, so file capabilities work for a user without root.
public enum PrivilegeCheck {
    /// Each feature with the capability it needs.
    public static let needs: [(feature: String, capability: Capability)] = [
        ("capture (pcap)", .netRaw),
        ("conntrack events and explain mode (nftables)", .netAdmin),
        ("other network namespaces (setns, nsenter, ip -n)", .sysAdmin),
    ]

    public static func check(_ credentials: ThreadCredentials?) -> DoctorCheck {
        let name = "privileges"
        let effective = credentials?.effective ?? .empty
        let missing = needs.filter { !effective.contains($0.capability) }
        let who = credentials?.uid?.effective == 0 ? "root" : "uid \(credentials?.uid.map { String($0.effective) } ?? "?")"
        guard !missing.isEmpty else {
            return DoctorCheck(name: name, status: .ok,
                               detail: "\(who) with \(Capability.watchKeeps) (what watch keeps after opening; -r needs none)",
                               required: true)
        }
        let lacking = CapabilityMask(missing.map(\.capability))
        return DoctorCheck(
            name: name, status: .fail,
            detail: "\(who) without \(lacking): no " + missing.map(\.feature).joined(separator: ", no ")
                + " (replaying a recording with -r needs none)",
            fix: "run with sudo, or give the binary the three it keeps: "
                + "sudo setcap cap_net_admin,cap_net_raw,cap_sys_admin+ep \"$(command -v hoptrace)\"",
            required: true)
    }
}
