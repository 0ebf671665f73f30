import Foundation

/// An entry of an `ip -j` list (`IPLinkJSON`, `IPRouteJSON`, `IPNetnsIDJSON`). Decoding one
/// throws only when the entry is no JSON object: its fields are read leniently, so a mistyped
/// field is the reader's to report, with the field's name.
public protocol IPJSONEntry: Decodable {}

/// One `ip -j` output decoded with JSONDecoder as a list of entries of one kind. What is wrong
/// with a document that is no such list is told apart, so the snapshot can say it as it did
/// when JSONSerialization read the output. One difference remains: of a key one object holds
/// twice, JSONDecoder takes the first value where JSONSerialization took the last.
public enum IPJSONList {
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not JSON as JSONSerialization read it (`StrictJSON`).
        case notJSON
        /// JSON, but not a list.
        case notAList
        /// The list's entry at `index` (from 0) is no object.
        case notAnObject(index: Int)

        public var description: String {
            switch self {
            case .notJSON: "the output is not valid JSON"
            case .notAList: "expected a JSON array"
            case .notAnObject(let index): "entry \(index) is not an object"
            }
        }
    }

    /// The entries of `json`, output `IPJSONRepair` has made parseable.
    public static func entries<Entry: IPJSONEntry>(_ json: Data, as _: Entry.Type) throws(Failure) -> [Entry] {
        guard json.withUnsafeBytes({ StrictJSON.accepts($0) }) else { throw .notJSON }
        let document: Document<Entry>
        do {
            document = try JSONDecoder().decode(Document<Entry>.self, from: json)
        } catch {
            // Document's own decoding throws nothing: this is the scanner refusing the structure.
            throw .notJSON
        }
        switch document.entries {
        case .success(let entries): return entries
        case .failure(let failure): throw failure
        }
    }

    /// The top level, read without throwing so that its shape can be told apart.
    private struct Document<Entry: IPJSONEntry>: Decodable {
        var entries: Result<[Entry], Failure>

        init(from decoder: any Decoder) throws {
            guard var list = try? decoder.unkeyedContainer() else {
                entries = .failure(.notAList)
                return
            }
            var found: [Entry] = []
            while !list.isAtEnd {
                let index = list.currentIndex
                guard let entry = try? list.decode(Entry.self) else {
                    entries = .failure(.notAnObject(index: index))
                    return
                }
                found.append(entry)
            }
            entries = .success(found)
        }
    }
}
