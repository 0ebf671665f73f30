/// The counters a sample keeps, looked up by the file's own prefix and name: ten times a second
/// in every namespace, a parse that builds a `Prefix.Name` String for each of the ~300 counters
/// the kernel prints only to keep ~40 of them costs more than reading the files.
public struct KernelCounterSelection: Sendable {
    /// prefix → name → key, the Substrings cut from the keys themselves.
    private let table: [Substring: [Substring: String]]
    private let keys: Set<String>

    /// `keys` as `Prefix.Name` (the prefix ends at the first dot: `nf_conntrack.drop`).
    public init(_ keys: some Sequence<String>) {
        var table: [Substring: [Substring: String]] = [:]
        var all = Set<String>()
        for key in keys {
            all.insert(key)
            guard let dot = key.firstIndex(of: ".") else { continue }
            table[key[..<dot], default: [:]][key[key.index(after: dot)...]] = key
        }
        self.table = table
        self.keys = all
    }

    /// The kept names under `prefix` with their keys; nil when none is kept.
    func names(under prefix: Substring) -> [Substring: String]? { table[prefix] }

    public func contains(_ key: String) -> Bool { keys.contains(key) }
}
