/// How much topology hoptrace reads, for one namespace and for one run or recording. The limits
/// exist because a recording comes from someone else and hoptrace reads it as root. Decoding
/// its topology blocks costs more than their text: JSONDecoder maps every value before the
/// entries are read (and JSONSerialization's `[String: Any]` trees, used before, took 3.4 GB
/// for one 16 MiB block). The blocks are also kept until the first packet.
/// Each limit sits well above what a real host prints. A live run applies the same limits to
/// its own discovery (`check`), so hoptrace never records a topology its replay would refuse.
public enum TopologyLimits {
    /// One namespace's topology: its six `ip -j` outputs together, the size of its recording
    /// block. `ip -j -d link` prints 1–2 KiB per link (a bridge port's linkinfo is the largest
    /// part). So a busy Docker host with hundreds of containers prints well under 1 MiB, and
    /// 4 MiB holds about 2,000 containers' links with their addresses and routes.
    public static let blockBytes = 4 << 20
    /// Namespaces in one run or recording. A run watches at most `CaptureBudget.maxPoints`
    /// points, and a namespace is watched only for its points.
    public static let namespaces = CaptureBudget.maxPoints
    /// All namespaces together. A container's namespace prints a few KiB; the host's is the
    /// large one.
    public static let totalBytes = 16 << 20
    /// Links in one namespace; also the entries of its address dump (one per link) and of its
    /// nsid table. Each container is one veth on its host. A Kubernetes node runs a few hundred
    /// pods at most, and a Docker host rarely runs more than a thousand containers.
    public static let links = 10_000
    /// Addresses in one namespace. kube-proxy in IPVS mode puts every Service address on a
    /// single dummy link (Kubernetes supports 10,000 Services), and every veth has its fe80::.
    public static let addresses = 50_000
    /// Routes in one namespace's main table, IPv4 and IPv6 each. BGP-routed pod networks
    /// (Calico) install about one route per node (5,000 at Kubernetes' limit) plus one per
    /// local pod.
    public static let routes = 50_000
    /// JSON values in one `ip -j` output, counted before the decoder maps them (a few words
    /// per value). Real output spends 9–18 bytes per value as `JSONExtent` counts
    /// them (routes are the densest), so even a block of nothing but routes stays under about
    /// 470,000. Dense crafted JSON (`[0,0,…]`) would reach 2 million from 4 MiB.
    public static let jsonValues = 500_000
    /// How deep `ip -j` output may nest. Today's output nests 4 deep at most (link → linkinfo →
    /// info_data → value). A deeper document is refused before the recursive parser sees it.
    public static let jsonDepth = 32

    /// Why one more namespace's topology cannot be taken.
    public enum Refusal: Sendable, Equatable, CustomStringConvertible {
        /// One namespace whose topology is larger than `blockBytes`.
        case namespaceTooLarge(bytes: Int)
        /// One namespace more than `namespaces`.
        case tooManyNamespaces
        /// Together larger than `totalBytes` (the total includes this namespace).
        case tooLargeInAll(bytes: Int)

        public var description: String {
            switch self {
            case .namespaceTooLarge(let bytes):
                "\(bytes) bytes of topology for one namespace, over the \(TopologyLimits.mib(TopologyLimits.blockBytes)) limit"
            case .tooManyNamespaces:
                "more than \(TopologyLimits.namespaces) namespaces, the limit for one run or recording"
            case .tooLargeInAll(let bytes):
                "\(bytes) bytes of topology in all, over the \(TopologyLimits.mib(TopologyLimits.totalBytes)) limit for one run or recording"
            }
        }
    }

    /// Whether a namespace of `bytes` (its recording block's size) can join `kept` others of
    /// `keptBytes` in all; the refusal when it cannot.
    public static func refusal(adding bytes: Int, toNamespaces kept: Int, ofBytes keptBytes: Int) -> Refusal? {
        if bytes > blockBytes { return .namespaceTooLarge(bytes: bytes) }
        if kept >= namespaces { return .tooManyNamespaces }
        if keptBytes > totalBytes - bytes { return .tooLargeInAll(bytes: keptBytes + bytes) }
        return nil
    }

    /// The live run's side: `sources` as a recording would carry them, refused for the reasons
    /// a replay would refuse them.
    public static func check(_ sources: [NamespaceSources]) throws(TopologyError) {
        var kept = 0, keptBytes = 0
        for s in sources {
            let bytes = s.recordedBytes
            if let why = refusal(adding: bytes, toNamespaces: kept, ofBytes: keptBytes) {
                throw .tooLarge(netns: s.name, source: "ip -j", detail: why.description)
            }
            kept += 1
            keptBytes += bytes
        }
    }

    /// "4 MiB", for messages.
    static func mib(_ bytes: Int) -> String { "\(bytes >> 20) MiB" }
}
