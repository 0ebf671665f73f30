/// Drops in Docker's own chains, with the fix said the Docker way. Docker owns FORWARD and its
/// DOCKER* chains and rewrites them as containers come and go; DOCKER-USER is the one chain it
/// leaves to the user and runs first (docs.docker.com, "Docker and iptables").

/// A drop by a rule in DOCKER-USER: the user's own rule. The fix removes it; or, to let only
/// this traffic on to Docker's rules, a RETURN for it at the top of DOCKER-USER.
public struct DockerUserDropRule: DiagnosisRule {
    public let id = "docker-user-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, leg) = c.droppedTrace, step.chain == "DOCKER-USER", step.kind == .rule else { return nil }
        let ns = TopologyError.name(path.netns)
        let what = leg == .reply ? "reply dropped" : step.isReject ? "rejected" : "dropped"
        let remove = SuggestedCommand.deleteRule(step, netns: path.netns)
        let pass = path.packets.first.flatMap { SuggestedCommand.returnFromDockerUser($0, netns: path.netns) }
        return Diagnosis(
            id: id,
            reason: "\(what) in \(ns) by \(step): a rule in DOCKER-USER, where Docker runs your own rules before its own; remove it, or let this traffic return to Docker's rules"
                + (pass.map { " (\($0))" } ?? ""),
            rule: "\(step)", fix: (remove ?? pass)?.description,
            alternatives: remove != nil ? pass.map { [$0.description] } ?? [] : [], evidence: .traced)
    }
}

/// A drop in DOCKER-ISOLATION-STAGE-*: traffic between two Docker networks, which Docker keeps
/// apart by design. The Docker way to let two containers talk is a network they share.
public struct DockerIsolationDropRule: DiagnosisRule {
    public let id = "docker-isolation-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, _) = c.droppedTrace, step.chain.hasPrefix("DOCKER-ISOLATION-STAGE-") else { return nil }
        let ns = TopologyError.name(path.netns)
        let from = c.interfaceName(path.iif, in: path.netns), to = c.interfaceName(path.oif, in: path.netns)
        let between = from.map { f in " from \(f)" + (to.map { " to \($0)" } ?? "") } ?? ""
        // `br-<12 hex>` is the network's bridge, named by its ID: the CLI takes that prefix.
        let network = to.flatMap { $0.hasPrefix("br-") ? String($0.dropFirst(3)) : $0 == "docker0" ? "bridge" : nil }
        // A container's namespace goes by the container's name (an alias); a /run/netns name or a path is no container.
        let container = c.input.requestHops.first?.point.netns.flatMap { NetworkNamespace($0).isAlias ? $0 : nil }
        let fix = network.flatMap { n in container.map { SuggestedCommand(netns: nil, ["docker", "network", "connect", n, $0]) } }
        return Diagnosis(
            id: id,
            reason: "dropped in \(ns) by \(step)\(between): Docker isolates its networks from each other; connect the container to the other network instead of opening FORWARD",
            rule: "\(step)", fix: fix?.description, evidence: .traced)
    }
}

/// A FORWARD policy drop after Docker's DOCKER chain found no accept for the packet: traffic
/// from outside to a container port that is not published. Docker lets in only published ports
/// (`docker run -p`, which adds the DNAT and the DOCKER accept); opening FORWARD would bypass that.
public struct DockerUnpublishedDropRule: DiagnosisRule {
    public let id = "docker-unpublished"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, leg) = c.droppedTrace, leg == .request, step.kind == .policy, isForward(step),
              path.steps.contains(where: { $0.verdict == .jump("DOCKER") }),
              let out = c.interfaceName(path.oif, in: path.netns), out == "docker0" || out.hasPrefix("br-"),
              let p = path.packets.first, let dst = p.dst else { return nil }
        let ns = TopologyError.name(path.netns)
        var port = ""
        switch p.transport {
        case .tcp(_, let d, _, _, _, _), .udp(_, let d): port = ":\(d)"
        default: break
        }
        let publish = port.isEmpty ? "publish its port" : "publish the port (docker run -p HOSTPORT\(port) …) and connect to the host's address"
        return Diagnosis(
            id: id,
            reason: "dropped in \(ns) by \(step): Docker's DOCKER chain has no accept for \(dst)\(port) on \(out), so the port is not published; Docker lets in only published ports: \(publish), rather than opening FORWARD",
            rule: "\(step)", evidence: .traced)
    }
}

extension SuggestedCommand {
    /// `iptables -I DOCKER-USER -p PROTO -s SRC -d DST [--dport PORT] -j RETURN`: this traffic
    /// skips the user's later DOCKER-USER rules and meets Docker's own. nil beyond IPv4.
    static func returnFromDockerUser(_ p: DecodedPacket, netns: String?) -> SuggestedCommand? {
        guard let src = p.src?.v4, let dst = p.dst?.v4, let proto = p.proto else { return nil }
        var argv = ["iptables", "-I", "DOCKER-USER", "-p", IPProtocol.name(proto), "-s", "\(src)", "-d", "\(dst)"]
        switch p.transport {
        case .tcp(_, let d, _, _, _, _), .udp(_, let d): argv += ["--dport", "\(d)"]
        default: break
        }
        return SuggestedCommand(netns: netns, argv + ["-j", "RETURN"])
    }
}
