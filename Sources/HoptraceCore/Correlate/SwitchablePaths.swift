/// A path provider whose answer can be replaced while the correlator runs: the
/// topology is read again when links change (an interface vanished), and a replay
/// learns it from the recording after the correlator exists.
public final class SwitchablePaths: HopPathProvider {
    public var current: any HopPathProvider

    public init(_ current: any HopPathProvider = UnknownPaths()) { self.current = current }

    public func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
        current.expectedPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst)
    }

    public func egressInfo(for point: CapturePoint) -> EgressInfo? { current.egressInfo(for: point) }
    public var knowsPaths: Bool { current.knowsPaths }
}
