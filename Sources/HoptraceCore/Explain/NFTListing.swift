/// The two things nft's JSON lacks, read from its text listings line by line, without counting
/// braces: a rule's text (a trace step shows the rule as `nft list` prints it, the words a user
/// wrote; the JSON has only its statements) and, before nft 1.0.7, a table's comment.
public enum NFTListing {
    /// Rule texts by handle from `nft -a -s list chain FAMILY TABLE CHAIN`: nft prints a rule a
    /// line and, with `-a`, ends it with ` # handle N`. So a rule is a line that ends that way and
    /// is not the table's or chain's opening line (nor any block's: those end in `{`). Only the
    /// suffix counts: a `# handle 9` inside a quoted comment or log prefix is part of the text.
    /// The text is the line without the suffix, trimmed: byte for byte what the brace-counting
    /// parser this replaces gave, what `RuleStep` and the diagnoses print.
    ///
    /// A line with an odd number of `"` is not a whole rule (a string nft printed with a line
    /// break in it); a handle on two lines is ambiguous. Both are left out: such a rule shows
    /// as its handle and verdict rather than as text it may not have.
    public static func ruleTexts(in listing: String) -> [UInt64: String] {
        var texts: [UInt64: String] = [:]
        var ambiguous: [UInt64] = []
        for raw in listing.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingWhitespace()
            guard !line.hasPrefix("table "), !line.hasPrefix("chain "), let rule = splitTrailingHandle(line),
                  !rule.text.isEmpty, !rule.text.hasSuffix("{"),
                  rule.text.utf8.lazy.filter({ $0 == UInt8(ascii: "\"") }).count % 2 == 0
            else { continue }
            if texts[rule.handle] == nil { texts[rule.handle] = rule.text } else { ambiguous.append(rule.handle) }
        }
        for handle in ambiguous { texts[handle] = nil }
        return texts
    }

    /// Splits `… # handle 7` into ("…", 7) when the line ends with the marker and its digits.
    static func splitTrailingHandle(_ line: String) -> (text: String, handle: UInt64)? {
        let bytes = Array(line.utf8), marker = Array("# handle ".utf8)
        var start = bytes.count
        while start > 0, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[start - 1]) { start -= 1 }
        guard start < bytes.count, start >= marker.count,
              bytes[(start - marker.count)..<start].elementsEqual(marker),
              let handle = UInt64(String(decoding: bytes[start...], as: UTF8.self))
        else { return nil }
        return (String(decoding: bytes[..<(start - marker.count)], as: UTF8.self).trimmingWhitespace(), handle)
    }

    /// The argv that lists one chain with its handles, stateless, or nil when a name cannot be
    /// given to nft: its command line takes names only as plain identifiers (nft 1.0.6 refuses
    /// quoted ones), and as nft joins its arguments into one command, anything else could be
    /// read as more than a name (`x; flush ruleset`).
    public static func listChainCommand(family: NFTFamily, table: String, chain: String) -> [String]? {
        guard isPlainIdentifier(table), isPlainIdentifier(chain) else { return nil }
        return ["nft", "-a", "-s", "list", "chain", "\(family)", table, chain]
    }

    /// nft's scanner's unquoted `string`: `({letter}|[_.])({letter}|{digit}|[/\-_\.])*`. A name
    /// that is also a keyword (`counter`) passes here and nft refuses it: its texts stay unknown.
    public static func isPlainIdentifier(_ name: String) -> Bool {
        func isLetter(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b | 0x20) }
        func isDigit(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, isLetter(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: ".") else { return false }
        return bytes.dropFirst().allSatisfy { b in
            isLetter(b) || isDigit(b) || [UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ".")].contains(b)
        }
    }

    /// The table's comment from `nft list table FAMILY NAME`, which prints it right after the
    /// opening line (and a `flags` line, if any), indented once: `\tcomment "…"`. Chains' and
    /// sets' comments are indented twice and come later. nil when the table has none.
    public static func tableComment(in listing: String) -> String? {
        let prefix = "\tcomment \""
        for line in listing.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            if line.hasPrefix(prefix), line.hasSuffix("\""), line.count > prefix.count {
                return String(line.dropFirst(prefix.count).dropLast())
            }
            // Any other line indented once opens the table's first chain, set, map, …
            if line.hasPrefix("\t"), !line.hasPrefix("\t\t"), !line.hasPrefix("\tflags ") { return nil }
        }
        return nil
    }
}
