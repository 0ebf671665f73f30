import HoptraceCore
import Testing

/// docker-proxy's command line, as dockerd writes it (libnetwork's portmapper: `-proto`,
/// `-host-ip`, `-host-port`, `-container-ip`, `-container-port`, and in newer releases a trailing
/// `-use-listen-fd`), read into what the proxy relays; anything else is no proxy of ours.
@Suite struct UserlandProxyTests {
    static func v4(_ s: String) -> IPAddress { .v4(IPv4Address(s)!) }

    /// `/usr/sbin/docker-proxy -proto PROTO -host-ip HOST -host-port 8080 -container-ip 172.17.0.2 -container-port 80`.
    static func argv(proto: String = "tcp", hostIP: String = "0.0.0.0", hostPort: String = "8080",
                     containerIP: String = "172.17.0.2", containerPort: String = "80") -> [String] {
        ["/usr/sbin/docker-proxy", "-proto", proto, "-host-ip", hostIP, "-host-port", hostPort,
         "-container-ip", containerIP, "-container-port", containerPort]
    }

    static func parse(_ argv: [String], pid: Int32 = 812, netns: String? = "htdkhost") -> UserlandProxy? {
        UserlandProxy(pid: pid, netns: netns, commandLine: argv)
    }

    // MARK: - Real command lines

    @Test func tcpOnEveryIPv4Address() throws {
        let p = try #require(Self.parse(Self.argv()))
        #expect(p == UserlandProxy(pid: 812, netns: "htdkhost", proto: 6, hostIP: nil, hostPort: 8080,
                                   containerIP: Self.v4("172.17.0.2"), containerPort: 80))
        #expect(p.proto == IPProtocol.tcp)
        #expect(p.listenText == "0.0.0.0:8080")
    }

    @Test func theIPv6TwinIsEveryAddressToo() throws {
        // dockerd starts a second proxy on `::` for the same port and the same IPv4 container.
        let p = try #require(Self.parse(Self.argv(hostIP: "::"), pid: 813))
        #expect(p == UserlandProxy(pid: 813, netns: "htdkhost", proto: 6, hostIP: nil, hostPort: 8080,
                                   containerIP: Self.v4("172.17.0.2"), containerPort: 80))
        #expect(p.listenText == "0.0.0.0:8080")
    }

    @Test func udp() throws {
        let p = try #require(Self.parse(Self.argv(proto: "udp", hostPort: "5353", containerPort: "53")))
        #expect(p.proto == 17)
        #expect(p.hostPort == 5353 && p.containerPort == 53)
        #expect(p.listenText == "0.0.0.0:5353")
    }

    @Test func sctp() throws {
        let p = try #require(Self.parse(Self.argv(proto: "sctp", hostPort: "3868", containerPort: "3868")))
        #expect(p.proto == 132)
        #expect(p.listenText == "0.0.0.0:3868")
    }

    @Test func aSpecificHostAddressIsKept() throws {
        let p = try #require(Self.parse(Self.argv(hostIP: "192.0.2.1")))
        #expect(p.hostIP == Self.v4("192.0.2.1"))
        #expect(p.listenText == "192.0.2.1:8080")
        #expect(p == UserlandProxy(pid: 812, netns: "htdkhost", proto: 6, hostIP: Self.v4("192.0.2.1"), hostPort: 8080,
                                   containerIP: Self.v4("172.17.0.2"), containerPort: 80))
    }

    @Test func theNamespaceAndPidAreTheCallers() throws {
        let p = try #require(Self.parse(Self.argv(), pid: 4242, netns: nil))
        #expect(p.pid == 4242)
        #expect(p.netns == nil)
    }

    @Test func aBareProgramNameIsEnough() {
        var argv = Self.argv()
        argv[0] = "docker-proxy"
        #expect(Self.parse(argv)?.containerIP == Self.v4("172.17.0.2"))
    }

    @Test func newerDockersTrailingListenFdFlagIsIgnored() throws {
        // Newer dockerd binds the port itself and hands the socket over: a flag without a value, last.
        let p = try #require(Self.parse(Self.argv() + ["-use-listen-fd"]))
        #expect(p == UserlandProxy(pid: 812, netns: "htdkhost", proto: 6, hostIP: nil, hostPort: 8080,
                                   containerIP: Self.v4("172.17.0.2"), containerPort: 80))
    }

    @Test func optionsInAnotherOrderReadTheSame() throws {
        let argv = ["/usr/bin/docker-proxy", "-container-port", "80", "-host-port", "8080", "-proto", "tcp",
                    "-container-ip", "172.17.0.2", "-host-ip", "0.0.0.0"]
        let p = try #require(Self.parse(argv))
        #expect(p == Self.parse(Self.argv()))
    }

    // MARK: - Refusals

    @Test func anotherProgramIsNoProxy() {
        var argv = Self.argv()
        argv[0] = "/usr/bin/socat"
        #expect(Self.parse(argv) == nil)
        argv[0] = "/usr/sbin/docker-proxy.old"
        #expect(Self.parse(argv) == nil)
        #expect(Self.parse([]) == nil)
        #expect(Self.parse(["/usr/sbin/docker-proxy"]) == nil)
    }

    @Test func aMissingOrGarbledPortIsRefused() {
        let noHostPort = Self.argv().filter { $0 != "-host-port" && $0 != "8080" }
        #expect(noHostPort.count == 9)
        #expect(Self.parse(noHostPort) == nil)
        let noContainerPort = Array(Self.argv().dropLast(2))
        #expect(Self.parse(noContainerPort) == nil)
        #expect(Self.parse(Self.argv(hostPort: "http")) == nil)
        #expect(Self.parse(Self.argv(hostPort: "")) == nil)
        #expect(Self.parse(Self.argv(hostPort: "-1")) == nil)
        #expect(Self.parse(Self.argv(containerPort: "8o")) == nil)
    }

    @Test func aPortPastSixteenBitsIsRefused() {
        #expect(Self.parse(Self.argv(hostPort: "70000")) == nil)
        #expect(Self.parse(Self.argv(containerPort: "65536")) == nil)
        // The largest port is a port.
        #expect(Self.parse(Self.argv(hostPort: "65535"))?.hostPort == 65535)
    }

    @Test func anUnknownProtocolIsRefused() {
        #expect(Self.parse(Self.argv(proto: "icmp")) == nil)
        #expect(Self.parse(Self.argv(proto: "TCP")) == nil)
        #expect(Self.parse(Self.argv(proto: "")) == nil)
        #expect(Self.parse(Self.argv().filter { $0 != "-proto" && $0 != "tcp" }) == nil)
    }

    @Test func anIPv6ContainerIsRefused() {
        #expect(Self.parse(Self.argv(hostIP: "::", containerIP: "fd00::2")) == nil)
        #expect(Self.parse(Self.argv(containerIP: "172.17.0.256")) == nil)
        #expect(Self.parse(Self.argv(containerIP: "web")) == nil)
    }

    @Test func aHostAddressThatIsNoIPv4AddressIsRefused() {
        #expect(Self.parse(Self.argv(hostIP: "localhost")) == nil)
        #expect(Self.parse(Self.argv(hostIP: "")) == nil)
    }

    @Test func aFlagMissingItsValueShiftsThePairsAndIsRefused() {
        // `-host-ip` without its value: an odd number of arguments, every later pair misread.
        let argv = ["/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "-host-port", "8080",
                    "-container-ip", "172.17.0.2", "-container-port", "80"]
        #expect((argv.count - 1) % 2 == 1)
        #expect(Self.parse(argv) == nil)
        // A value without its flag, first: the same.
        let leading = ["/usr/sbin/docker-proxy", "tcp"] + Self.argv().dropFirst()
        #expect(Self.parse(leading) == nil)
    }

    // MARK: - listenText

    @Test func listenTextSaysTheAddressAndPort() {
        let any = UserlandProxy(pid: 1, netns: nil, proto: 17, hostIP: nil, hostPort: 53,
                                containerIP: Self.v4("10.0.0.2"), containerPort: 53)
        #expect(any.listenText == "0.0.0.0:53")
        let one = UserlandProxy(pid: 1, netns: nil, proto: 6, hostIP: Self.v4("127.0.0.1"), hostPort: 1,
                                containerIP: Self.v4("10.0.0.2"), containerPort: 80)
        #expect(one.listenText == "127.0.0.1:1")
    }
}
