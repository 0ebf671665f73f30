/// A path provider whose answer can be replaced while the correlator runs: the
/// topology is read again when links change (an interface vanished), and a replay
/// learns it from the recording after the correlator exists.
public final class SwitchablePaths: HopPathProvider {
    public var current: any HopPathProvider {
        didSet { knowsPaths = current.knowsPaths }
    }

    public init(_ current: any HopPathProvider = UnknownPaths()) {
        self.current = current
        knowsPaths = current.knowsPaths
    }

    public func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
        current.expectedPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst)
    }

    public func egressInfo(for point: CapturePoint) -> EgressInfo? { current.egressInfo(for: point) }
    /// Kept, not asked for: the correlator asks on every sighting, and asking the
    /// existential copied the whole topology out of it.
    public private(set) var knowsPaths: Bool
}
