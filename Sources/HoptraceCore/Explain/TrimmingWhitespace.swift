extension StringProtocol {
    /// Without leading and trailing spaces, tabs and CRs: what nft and /proc pad lines with.
    /// (Foundation's `trimmingCharacters(in:)` would also take newlines and other Unicode spaces.)
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        var s = String(String.UnicodeScalarView(scalars))
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s.removeLast() }
        return s
    }
}
