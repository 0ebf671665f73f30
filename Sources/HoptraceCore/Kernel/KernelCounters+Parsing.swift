// MARK: - Parsers

extension KernelCounters {
    /// `/proc/net/snmp`: pairs of lines, `Prefix: Name1 Name2 …` then `Prefix: v1 v2 …`
    /// (net/ipv4/proc.c). Every prefix is kept: Ip, Icmp, IcmpMsg, Tcp, Udp, UdpLite.
    /// `IcmpMsg` lists only the types counted so far, 16 to a pair of lines (`icmpmsg_put`,
    /// PERLINE), so it may be absent or come as several pairs; its keys are merged.
    ///
    /// Negative values are skipped. The kernel prints one signed field, `Tcp.MaxConn`
    /// (RFC 2012's tcpMaxConn, `-1` for "no fixed limit"); it is a limit, not a count. Keeping
    /// every value unsigned keeps `delta` plain arithmetic, and a missing key reads as "nothing
    /// hoptrace can subtract". A `-` that is not followed by digits is malformed, as is any
    /// other value that is not a decimal number below 2⁶⁴.
    public static func parseSNMP(
        _ text: String, keeping selection: KernelCounterSelection? = nil
    ) throws(KernelCountersError) -> [String: UInt64] {
        try parsePairs(text, file: File.snmp, keeping: selection)
    }

    /// `/proc/net/netstat`: the same pairs of lines as snmp, with Linux's own MIBs: TcpExt
    /// (`IPReversePathFilter` is here), IpExt (`InNoRoutes`), MPTcpExt, and whatever a newer
    /// kernel adds. Every prefix is kept.
    public static func parseNetstat(
        _ text: String, keeping selection: KernelCounterSelection? = nil
    ) throws(KernelCountersError) -> [String: UInt64] {
        try parsePairs(text, file: File.netstat, keeping: selection)
    }

    /// `/proc/net/stat/nf_conntrack`: a header naming the columns, then one line per possible
    /// CPU of 8-digit hexadecimal values (`ct_cpu_seq_show` in net/netfilter/
    /// nf_conntrack_standalone.c prints each per-CPU `ip_conntrack_stat`, an `unsigned int`
    /// per field). Each column is summed over the CPUs into `nf_conntrack.<column>`, with the
    /// column names taken from the header, so the kernel's renames follow (`searched` became
    /// `clashres`, `delete_list` became `chainlength`).
    ///
    /// Except `entries`: `ct_cpu_seq_show` prints the namespace's whole table size,
    /// `nf_conntrack_count(net)`, on every CPU's line, read afresh for each line. Summing it
    /// would multiply it by the number of CPUs; the lines differ only by what changed while the
    /// file was read, so the largest is kept (the fullest the table was seen, which is what a
    /// "table full" check wants).
    public static func parseConntrackStat(
        _ text: String, keeping selection: KernelCounterSelection? = nil
    ) throws(KernelCountersError) -> [String: UInt64] {
        let file = File.conntrackStat
        let rows = try Self.lines(of: text, file: file)
        var names: [Substring] = []
        var headerLine = 0
        var totals: [UInt64] = []
        var cpuLines = 0
        for (index, row) in rows.enumerated() {
            let number = index + 1
            let cells = try Self.fields(of: row, number: number, file: file)
            guard let first = cells.first else { continue }
            if names.isEmpty {
                guard UInt64(first, radix: 16) == nil else {
                    throw .malformed(
                        file: file, line: number,
                        detail: "expected a header naming the columns (entries …), found values")
                }
                var seen = Set<Substring>()
                for name in cells {
                    guard seen.insert(name).inserted else {
                        throw .malformed(file: file, line: number, detail: "the column '\(clip(name))' appears twice")
                    }
                }
                names = cells
                headerLine = number
                totals = Array(repeating: 0, count: cells.count)
                continue
            }
            guard cells.count == names.count else {
                throw .malformed(
                    file: file, line: number,
                    detail: "\(plural(cells.count, "value")) for \(plural(names.count, "column"))")
            }
            for (column, field) in cells.enumerated() {
                // The kernel prints 32-bit counters, so a sum over `Limits.lines` lines stays
                // far below 2⁶⁴ and needs no overflow check.
                guard let value = UInt64(field, radix: 16), value <= UInt64(UInt32.max) else {
                    throw .malformed(
                        file: file, line: number,
                        detail: "the \(names[column]) value '\(clip(field))' is not a 32-bit hexadecimal number")
                }
                if names[column] == "entries" {
                    totals[column] = Swift.max(totals[column], value)
                } else {
                    totals[column] += value
                }
            }
            cpuLines += 1
        }
        guard !names.isEmpty else { throw .malformed(file: file, line: nil, detail: "the file is empty") }
        guard cpuLines > 0 else {
            throw .malformed(file: file, line: headerLine, detail: "a header but no line of per-CPU values")
        }
        var values: [String: UInt64] = [:]
        let kept = selection?.names(under: "nf_conntrack")
        for (column, name) in names.enumerated() {
            if selection == nil {
                values["nf_conntrack.\(name)"] = totals[column]
            } else if let key = kept?[name] {
                values[key] = totals[column]
            }
        }
        return values
    }

    /// A file that holds one decimal number (`nf_conntrack_count`, `nf_conntrack_max`), with or
    /// without its newline.
    public static func parseDecimal(_ text: String, file: String) throws(KernelCountersError) -> UInt64 {
        let rows = try Self.lines(of: text, file: file)
        var words: [Substring] = []
        for (index, row) in rows.enumerated() {
            let more = try Self.fields(of: row, number: index + 1, file: file)
            words += more
        }
        guard words.count == 1, let value = UInt64(words[0]), Self.isDigits(words[0].utf8) else {
            let found = words.joined(separator: " ")
            throw .malformed(file: file, line: nil, detail: "expected one decimal number, found '\(clip(found[...]))'")
        }
        return value
    }
}

// MARK: - Reading lines and fields

extension KernelCounters {
    /// The pairs of lines of snmp and netstat (see `parseSNMP`). A value line must follow its
    /// header at once and repeat its prefix; blank lines between pairs are passed over.
    /// With a selection only its keys are kept, but every line is checked as without one.
    static func parsePairs(
        _ text: String, file: String, keeping selection: KernelCounterSelection? = nil
    ) throws(KernelCountersError) -> [String: UInt64] {
        let rows = try Self.lines(of: text, file: file)
        var values: [String: UInt64] = [:]
        // Names by prefix: IcmpMsg comes as several pairs, and a name may not come twice.
        var seen: [Substring: Set<Substring>] = [:]
        var pairs = 0
        var i = 0
        while i < rows.count {
            let headerNumber = i + 1
            let names = try Self.fields(of: rows[i], number: headerNumber, file: file)
            i += 1
            guard let prefixField = names.first else { continue }
            guard prefixField.count > 1, prefixField.last == ":" else {
                throw .malformed(
                    file: file, line: headerNumber,
                    detail: "expected 'Prefix: Name …', found '\(clip(rows[headerNumber - 1]))'")
            }
            guard i < rows.count else {
                throw .malformed(
                    file: file, line: headerNumber,
                    detail: "'\(prefixField)' names \(plural(names.count - 1, "counter")) but no line of values follows")
            }
            let valueNumber = i + 1
            let numbers = try Self.fields(of: rows[i], number: valueNumber, file: file)
            i += 1
            guard numbers.first == prefixField else {
                throw .malformed(
                    file: file, line: valueNumber,
                    detail: "expected the values of '\(prefixField)', found '\(clip(rows[valueNumber - 1]))'")
            }
            guard numbers.count == names.count else {
                throw .malformed(
                    file: file, line: valueNumber,
                    detail: "'\(prefixField)' names \(plural(names.count - 1, "counter")) but has \(plural(numbers.count - 1, "value"))")
            }
            let prefix = prefixField.dropLast()
            let kept = selection?.names(under: prefix)
            var seenHere = seen.removeValue(forKey: prefix) ?? []
            seenHere.reserveCapacity(seenHere.count + names.count - 1)
            for (name, number) in zip(names.dropFirst(), numbers.dropFirst()) {
                guard seenHere.insert(name).inserted else {
                    throw .malformed(file: file, line: headerNumber, detail: "\(prefix).\(name) appears twice")
                }
                if let value = UInt64(number), Self.isDigits(number.utf8) {
                    if selection == nil {
                        // `A.B: C` and `A: B.C` would share a key: refused, as one name twice is.
                        guard values.updateValue(value, forKey: "\(prefix).\(name)") == nil else {
                            throw .malformed(file: file, line: headerNumber, detail: "\(prefix).\(name) appears twice")
                        }
                    } else if let key = kept?[name] {
                        values[key] = value
                    }
                } else if number.first == "-", number.count > 1, Self.isDigits(number.utf8.dropFirst()) {
                    continue  // Tcp.MaxConn's -1: a limit, not a count (see parseSNMP).
                } else {
                    throw .malformed(
                        file: file, line: valueNumber,
                        detail: "the value of \(prefix).\(name) is '\(clip(number))', not a decimal number below 2⁶⁴")
                }
            }
            seen[prefix] = seenHere
            pairs += 1
        }
        guard pairs > 0 else { throw .malformed(file: file, line: nil, detail: "the file is empty") }
        return values
    }

    /// The text's lines (a final newline ends the last one), refused whole when the text is over
    /// `Limits.bytes` or `Limits.lines`.
    static func lines(of text: String, file: String) throws(KernelCountersError) -> [Substring] {
        let bytes = text.utf8.count
        guard bytes <= Limits.bytes else {
            throw .tooLarge(file: file, detail: "\(bytes) bytes, over the \(Limits.bytes >> 10) KiB limit")
        }
        // Split as bytes: a Character split walks grapheme clusters, and this runs ten
        // times a second per namespace while traffic flows.
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { text[$0.startIndex..<$0.endIndex] }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count <= Limits.lines else {
            throw .tooLarge(file: file, detail: "\(lines.count) lines, over the \(Limits.lines) limit")
        }
        return lines
    }

    /// The line's fields, split at spaces and tabs (conntrack's header has double spaces).
    static func fields(of line: Substring, number: Int, file: String) throws(KernelCountersError) -> [Substring] {
        let parts = line.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map { line[$0.startIndex..<$0.endIndex] }
        guard parts.count <= Limits.fieldsPerLine else {
            throw .tooLarge(
                file: file, detail: "line \(number) has \(parts.count) fields, over the \(Limits.fieldsPerLine) limit")
        }
        return parts
    }

    /// Adds one file's counters; a key already read from another file is refused.
    static func merge(
        _ more: [String: UInt64], into values: inout [String: UInt64], file: String
    ) throws(KernelCountersError) {
        // The first key in order that is already there is the one named (no sort when none is).
        var clash: String?
        for (key, value) in more {
            if values.updateValue(value, forKey: key) != nil, clash.map({ key < $0 }) ?? true { clash = key }
        }
        if let clash { throw .malformed(file: file, line: nil, detail: "\(clash) was already read from another file") }
    }

    /// "1 counter", "2 counters".
    static func plural(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    /// Text quoted in a message: at most 40 characters.
    static func clip(_ text: Substring) -> String {
        text.count <= 40 ? String(text) : String(text.prefix(40)) + "…"
    }
}

extension KernelCounters {
    /// 0–9 only, as bytes (`isNumber` also takes other scripts' digits and fractions, and a
    /// range of Characters would take a digit with a combining mark).
    fileprivate static func isDigits<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
        bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
