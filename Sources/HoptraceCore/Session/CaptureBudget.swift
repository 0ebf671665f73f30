/// How much the kernel may hold for one run: every capture point gets a ring of
/// `--buffer-size` MiB, so `--netns` on a namespace with many interfaces (a Docker host
/// has one veth per container) could pin gigabytes. Checked before any handle opens.
public enum CaptureBudget {
    /// Capture points at most: more than a person can follow, and each is a descriptor in the loop.
    public static let maxPoints = 64
    /// Kernel capture buffers in all, MiB.
    public static let maxRingMiB = 1024
    /// `--buffer-size` bounds, MiB (the value is shifted into bytes in an Int32).
    public static let bufferMiB = 1...512
    /// `--conntrack-buffer` bounds, KiB (shifted into bytes in an Int32; a tiny one is allowed:
    /// it provokes lost events on purpose).
    public static let conntrackKiB = 1...(1 << 20)

    public struct Exceeded: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Throws a sentence a user can act on when `points` rings of `bufferMiB` are too many.
    public static func check(points: Int, bufferMiB: Int) throws(Exceeded) {
        if points > maxPoints {
            throw Exceeded(description: "\(points) capture points (at most \(maxPoints)): name the interfaces with -i instead of --netns, or watch fewer namespaces")
        }
        let total = points * bufferMiB
        if total > maxRingMiB {
            throw Exceeded(description: "\(points) capture points × \(bufferMiB) MiB = \(total) MiB of kernel capture buffers (at most \(maxRingMiB)): watch fewer points, or lower --buffer-size")
        }
    }
}
