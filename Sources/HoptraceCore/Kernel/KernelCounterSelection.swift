/// The counters a sample keeps, looked up by the file's own prefix and name: ten times a second
/// in every namespace, a parse that builds a `Prefix.Name` String for each of the ~300 counters
/// the kernel prints only to keep ~40 of them costs more than reading the files.
public struct KernelCounterSelection: Sendable {
    /// prefix → name → key, the Substrings cut from the keys themselves.
    private let table: [Substring: [Substring: String]]

    /// `keys` as `Prefix.Name` (the prefix ends at the first dot: `nf_conntrack.drop`); a key
    /// without a dot names no counter and is left out.
    public init(_ keys: some Sequence<String>) {
        var table: [Substring: [Substring: String]] = [:]
        for key in keys {
            guard let (prefix, name) = Self.split(key) else { continue }
            table[prefix, default: [:]][name] = key
        }
        self.table = table
    }

    /// The kept names under `prefix` with their keys; nil when none is kept.
    func names(under prefix: Substring) -> [Substring: String]? { table[prefix] }

    public func contains(_ key: String) -> Bool {
        guard let (prefix, name) = Self.split(key) else { return false }
        return table[prefix]?[name] != nil
    }

    private static func split(_ key: String) -> (Substring, Substring)? {
        key.firstIndex(of: ".").map { (key[..<$0], key[key.index(after: $0)...]) }
    }
}
