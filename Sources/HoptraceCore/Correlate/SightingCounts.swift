/// A flow's three sighting counters in two words: request and reply 44 bits each, related
/// (ICMP errors about the flow) 40 bits split over both words' tops. Three Ints took 24 bytes,
/// and those 8 bytes put a flow's box in malloc's next size. Saturating: 2^44 sightings are
/// 200 days at a million a second, and a count never wraps to a small one.
struct SightingCounts: Sendable, Equatable {
    private var a: UInt64 = 0
    private var b: UInt64 = 0

    private static let wideBits: UInt64 = 44, wideMax: UInt64 = (1 << 44) - 1
    private static let halfBits: UInt64 = 20, halfMask: UInt64 = (1 << 20) - 1
    static let requestLimit = Int(wideMax), relatedLimit = Int((1 << 40) - 1)

    var request: Int {
        get { Int(a & Self.wideMax) }
        set { a = a & ~Self.wideMax | Self.clamp(newValue, Self.wideMax) }
    }
    var reply: Int {
        get { Int(b & Self.wideMax) }
        set { b = b & ~Self.wideMax | Self.clamp(newValue, Self.wideMax) }
    }
    var related: Int {
        get { Int((a >> Self.wideBits) << Self.halfBits | b >> Self.wideBits) }
        set {
            let v = Self.clamp(newValue, UInt64(Self.relatedLimit))
            a = a & Self.wideMax | (v >> Self.halfBits) << Self.wideBits
            b = b & Self.wideMax | (v & Self.halfMask) << Self.wideBits
        }
    }

    private static func clamp(_ n: Int, _ limit: UInt64) -> UInt64 { n <= 0 ? 0 : min(UInt64(n), limit) }
}
