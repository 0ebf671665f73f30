import Foundation
import Testing

/// Real dockerd (scripts/engine-lab docker): containers by name, their path out through
/// docker0 and the uplink, Docker's own NAT — as hoptrace's NDJSON reports them.
@Suite(.serialized, .enabled(if: Privilege.isRoot && EngineLab.installed("docker"), EngineLab.reason("docker")))
struct DockerEngineIntegrationTests {
    init() { EngineLab.ciRequires("docker") }

    @Test func containerPingIsSnattedOnTheUplinkAndRepliedHopByHop() throws {
        try EngineLab.with("docker") { lab in
            let f = try lab.containerPingFlow()
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            #expect(hasNAT(f, "snat", containerSide: "172.17.0.", other: "172.31.39.53"), "\(f)")
            let request = hopPoints(f, leg: "request")
            #expect(request.count == 5, "\(request)")
            if request.count == 5 {
                #expect(request[0] == "web:eth0")
                #expect(request[1].range(of: #"^htdkhost:veth[0-9a-f]{7}$"#, options: .regularExpression) != nil, "\(request)")
                #expect(Array(request[2...]) == ["htdkhost:docker0", "htdkhost:enX0", "htdkremote:enX0"])
                #expect(hopPoints(f, leg: "reply") == request.reversed())
            }
        }
    }

    @Test func publishedPortReachedFromTheRemoteIsDnattedAndReplied() throws {
        try EngineLab.with("docker") { lab in
            let (page, f) = try lab.publishedPortFlow()
            #expect(page.contains("hello"), "the page came back: \(page)")
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            #expect(hasNAT(f, "dnat", containerSide: "172.17.0."), "\(f)")
            let request = hopPoints(f, leg: "request")
            #expect(request.first == "htdkremote:enX0" && request.last == "web:eth0", "\(request)")
        }
    }

    @Test func nsListsTheContainerByNameWithItsVethPeer() throws {
        try EngineLab.with("docker") { lab in
            try lab.runContainer("web", ["sleep", "600"])
            let out = try Hoptrace.run(["ns"] + lab.dockerHost)
            #expect(out.status == 0, "\(out.stderr)")
            let lines = out.stdout.split(separator: "\n").map(String.init)
            let at = try #require(lines.firstIndex { $0.hasPrefix("web  inode ") }, "\(out.stdout)")
            let block = lines[at...].prefix { $0 == lines[at] || $0.hasPrefix("  ") }
            #expect(block.contains { $0.contains("docker container web (image hoptrace-busybox:1, id ") }, "\(block)")
            #expect(block.contains { $0.range(of: #"^  eth0 172\.17\.0\.\d+/16 \(veth\) ↔ htdkhost:veth[0-9a-f]{7}$"#, options: .regularExpression) != nil }, "\(block)")
            #expect(lines.contains { $0.range(of: #"^  veth[0-9a-f]{7} \(veth, master docker0\) ↔ web:eth0$"#, options: .regularExpression) != nil }, "\(out.stdout)")
        }
    }

    @Test func anUnknownContainerIsAClearErrorListingTheRunningOnes() throws {
        try EngineLab.with("docker") { lab in
            try lab.runContainer("web", ["sleep", "600"])
            let out = try Hoptrace.run(["watch", "--flows", "--duration", "1", "-i", "nosuch:eth0"] + lab.dockerHost)
            #expect(out.status != 0)
            #expect(out.stderr.contains("network namespace not found: /run/netns/nosuch, and no container is named 'nosuch' (containers: web;"), "\(out.stderr)")
        }
    }

    @Test func aContainerStoppedMidRunIsReportedAndCaptureGoesOnElsewhere() throws {
        try EngineLab.with("docker") { lab in
            try lab.runContainer("web", ["sleep", "600"])
            try lab.runContainer("api", ["sleep", "600"])
            let lines = try watch(["--docker", "-i", "\(lab.remote):enX0", "--json", "--stats-interval", "60"] + lab.dockerHost + ["--", "icmp"]) {
                try lab.cli(["rm", "-f", "web"])
                // The engines are looked at every 2 s: the stop is reported within the run.
                Thread.sleep(forTimeInterval: 2.5)
                try lab.cli(["exec", "api", "ping", "-c", "1", "172.31.45.174"])
            }
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let stopped = objects.filter { $0["type"] as? String == "container-stopped" }
            #expect(stopped.count == 1, "\(lines.filter { !$0.contains(#""type":"packet""#) })")
            let message = stopped.first?["message"] as? String ?? ""
            #expect(message.hasPrefix("docker container web (") && message.contains("its points web:eth0"), "\(message)")
            #expect(objects.contains { $0["type"] as? String == "point-lost" && $0["netns"] as? String == "web" }, "the capture there ended")
            let f = try #require(try finalFlowObjects(lines).last { $0["proto"] as? String == "icmp" }, "\(lines)")
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            #expect(hopPoints(f, leg: "request").first == "api:eth0", "\(f)")
        }
    }

    @Test func twoContainersOnAUserNetworkTalkAcrossItsBridge() throws {
        try EngineLab.with("docker") { lab in
            try lab.cli(["network", "create", "hoptest"])
            try lab.runContainer("hoptest-a", options: ["--network", "hoptest"], ["sleep", "600"])
            try lab.runContainer("hoptest-b", options: ["--network", "hoptest"], ["sleep", "600"])
            let b = try lab.cli(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "hoptest-b"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var watching = ""
            let lines = try watch(["--container", "hoptest-a", "--container", "hoptest-b", "--flows", "--stats-interval", "60"] + lab.dockerHost + ["--", "icmp"],
                                  during: { try lab.cli(["exec", "hoptest-a", "ping", "-c", "2", b]) }, announced: { watching = $0 })
            #expect(watching.range(of: #"htdkhost:br-[0-9a-f]{12}"#, options: .regularExpression) != nil, "the network's bridge is watched: \(watching)")
            let f = try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "icmp" }, "\(lines)")
            #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "\(f)")
            #expect((f["nat"] as? [[String: Any]] ?? []).isEmpty, "no NAT inside one network: \(f)")
            let request = hopPoints(f, leg: "request")
            #expect(request.first == "hoptest-a:eth0" && request.last == "hoptest-b:eth0" && request.count == 4, "\(request)")
            #expect(request.dropFirst().dropLast().allSatisfy { $0.range(of: #"^htdkhost:veth[0-9a-f]{7}$"#, options: .regularExpression) != nil }, "\(request)")
            #expect(hopPoints(f, leg: "reply") == request.reversed())
            // The veths are ports of the network's own bridge, br-<12 hex>.
            let ns = try Hoptrace.run(["ns"] + lab.dockerHost).stdout
            #expect(ns.range(of: #"veth[0-9a-f]{7} \(veth, master br-[0-9a-f]{12}\) ↔ hoptest-a:eth0"#, options: .regularExpression) != nil, "\(ns)")
        }
    }

    @Test func aDockerUserDropIsNamedByExplainModeWithTheDockerWayFix() throws {
        try EngineLab.with("docker") { lab in
            try lab.runContainer("web", ["sleep", "600"])
            let ip = try lab.cli(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let add = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", lab.host, "iptables", "-I", "DOCKER-USER", "-s", ip, "-d", "172.31.45.174", "-j", "DROP"])
            #expect(add.status == 0, "\(add.stderr)")
            let lines = try watch(["--container", "web", "-i", "\(lab.remote):enX0", "--explain", "--flows", "--stats-interval", "60"] + lab.dockerHost + ["--", "icmp"]) {
                // The first packet of a flow sets its trace up: the next ones are traced.
                _ = try Hoptrace.exec([lab.env["HT_CLI"] ?? "", "exec", "web", "ping", "-c", "3", "-W", "1", "172.31.45.174"])
            }
            let f = try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "icmp" }, "\(lines)")
            let v = f["verdict"] as? [String: Any] ?? [:]
            #expect(v["state"] as? String == "vanished" && v["at"] as? String == "htdkhost:docker0", "\(v)")
            #expect(v["evidence"] as? String == "traced", "\(v)")
            let rule = v["rule"] as? String ?? ""
            #expect(rule.hasPrefix("ip filter DOCKER-USER rule handle ") && rule.contains("ip saddr \(ip) ip daddr 172.31.45.174") && rule.hasSuffix("drop"), "\(v)")
            #expect((v["why"] as? String)?.contains("a rule in DOCKER-USER, where Docker runs your own rules before its own") == true, "\(v)")
            #expect((v["why"] as? String)?.contains("iptables -I DOCKER-USER -p icmp -s \(ip) -d 172.31.45.174 -j RETURN") == true, "\(v)")
            let fix = try #require(v["fix"] as? String, "\(v)")
            #expect(fix.range(of: #"^ip netns exec htdkhost nft delete rule ip filter DOCKER-USER handle \d+$"#, options: .regularExpression) != nil, "\(fix)")
            // The fix is the cure: applied, the next ping goes through.
            #expect(try Hoptrace.exec(["/bin/sh", "-c", fix]).status == 0)
            #expect(try Hoptrace.exec([lab.env["HT_CLI"] ?? "", "exec", "web", "ping", "-c", "1", "-W", "2", "172.31.45.174"]).status == 0)
        }
    }

    @Test func aHairpinConnectionThroughDockerProxyIsTwoLinkedFlows() throws {
        try EngineLab.with("docker") { lab in
            try lab.runContainer("web", options: ["-p", "8080:80"], ["httpd", "-f", "-p", "80", "-h", "/www"])
            try lab.runContainer("pinger", ["sleep", "600"])
            let web = try lab.cli(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            var page = ""
            let lines = try watch(["--docker", "--flows", "--stats-interval", "60"] + lab.dockerHost + ["--", "tcp"]) {
                // From a container to its host's published port: iptables leaves it (`! -i docker0`) to docker-proxy.
                page = try lab.cli(["exec", "pinger", "sh", "-c", "timeout 5 wget -qO- http://172.31.39.53:8080/"]).stdout
            }
            #expect(page.contains("hello"), "\(page)")
            let flows = try finalFlowObjects(lines)
            let client = try #require(flows.first { ($0["orig"] as? [String: Any])?["dport"] as? Int == 8080 }, "\(lines)")
            let upstream = try #require(flows.first { ($0["orig"] as? [String: Any])?["dst"] as? String == web }, "\(lines)")
            let cp = client["proxy"] as? [String: Any] ?? [:], up = upstream["proxy"] as? [String: Any] ?? [:]
            #expect(cp["role"] as? String == "client" && cp["linked_flow"] as? Int == upstream["flow"] as? Int, "\(client)")
            #expect(up["role"] as? String == "upstream" && up["linked_flow"] as? Int == client["flow"] as? Int, "\(upstream)")
            let pid = try #require(cp["pid"] as? Int)
            #expect(cp["text"] as? String == "handed to docker-proxy (pid \(pid)) on 0.0.0.0:8080; new connection 172.17.0.1 → \(web):80 (flow \(upstream["flow"] as? Int ?? -1))", "\(cp)")
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
            #expect(comm.hasPrefix("docker-proxy"), "the pid named is docker-proxy's: \(comm)")
            for f in [client, upstream] {
                #expect((f["verdict"] as? [String: Any])?["state"] as? String == "replied", "not vanished: \(f)")
            }
        }
    }

    @Test func anUnpublishedPortIsSaidTheDockerWay() throws {
        try EngineLab.with("docker") { lab in
            try lab.runContainer("web", ["httpd", "-f", "-p", "80", "-h", "/www"])
            let ip = try lab.cli(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            // The remote routes the containers' subnet through the host, and tries web's port 80, which no -p published.
            #expect(try Hoptrace.exec(["/usr/sbin/ip", "-n", lab.remote, "route", "add", "172.17.0.0/16", "via", "172.31.39.53"]).status == 0)
            let lines = try watch(["--container", "web", "-i", "\(lab.remote):enX0", "--explain", "--flows", "--stats-interval", "60"] + lab.dockerHost + ["--", "tcp", "port", "80"]) {
                // Its SYN and the retransmissions (traced from the second on) go unanswered.
                _ = try Hoptrace.exec(["/usr/sbin/ip", "netns", "exec", lab.remote, "/bin/bash", "-c", "timeout 4 bash -c 'exec 3<>/dev/tcp/\(ip)/80' || true"])
            }
            let f = try #require(try finalFlowObjects(lines).first { $0["proto"] as? String == "tcp" }, "\(lines)")
            let v = f["verdict"] as? [String: Any] ?? [:]
            #expect(v["state"] as? String == "vanished" && v["evidence"] as? String == "traced", "\(v)")
            #expect(v["rule"] as? String == "ip filter FORWARD policy drop", "\(v)")
            #expect((v["why"] as? String)?.contains("Docker's DOCKER chain has no accept for \(ip):80 on docker0, so the port is not published; Docker lets in only published ports: publish the port (docker run -p HOSTPORT:80 …)") == true, "\(v)")
            #expect(v["fix"] == nil || v["fix"] is NSNull, "no FORWARD-opening command: \(v)")
        }
    }
}
