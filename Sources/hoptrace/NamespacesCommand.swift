import ArgumentParser
import HoptracePipeline

struct NamespacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ns",
        abstract: "List the machine's network namespaces: containers by name, /run/netns names, processes, and their interfaces with veth peers.",
        discussion: """
            Every name shown works as NETNS in 'watch -i NETNS:IFACE'. Containers come from the Docker \
            Engine API (DOCKER_HOST, --docker-host, or /var/run/docker.sock) and from Podman's service \
            socket (/run/podman/podman.sock) when it runs.
            """,
        aliases: ["list"])

    @Option(help: "The engine's socket: unix:///PATH (default: DOCKER_HOST, else /var/run/docker.sock).")
    var dockerHost: String?
    @Flag(help: "Names only: do not read each namespace's interfaces.")
    var noInterfaces = false

    func run() throws {
        try NamespaceReport.run(dockerHost: dockerHost, interfaces: !noInterfaces)
    }
}
