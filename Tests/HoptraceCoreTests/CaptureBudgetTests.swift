import Testing
import HoptraceCore

/// `--netns` on a namespace with many interfaces must not pin gigabytes of kernel buffers.
@Suite struct CaptureBudgetTests {
    @Test func theLabFitsWithRoomToSpare() throws {
        try CaptureBudget.check(points: 5, bufferMiB: 32)
        try CaptureBudget.check(points: CaptureBudget.maxPoints, bufferMiB: 16)
    }

    @Test func manyInterfacesAtTheDefaultBufferAreRefusedWithTheArithmetic() {
        // 43 interfaces × 32 MiB reached 1 GB RSS in the review.
        #expect(throws: CaptureBudget.Exceeded(description: "43 capture points × 32 MiB = 1376 MiB of kernel capture buffers (at most 1024): watch fewer points, or lower --buffer-size")) {
            try CaptureBudget.check(points: 43, bufferMiB: 32)
        }
        #expect(throws: CaptureBudget.Exceeded.self) { try CaptureBudget.check(points: 3, bufferMiB: 512) }
    }

    @Test func tooManyPointsAreRefusedWhateverTheirBuffers() {
        #expect(throws: CaptureBudget.Exceeded.self) { try CaptureBudget.check(points: CaptureBudget.maxPoints + 1, bufferMiB: 1) }
    }

    @Test func bufferBoundsStayInsideAnInt32OnceShifted() {
        #expect(Int64(CaptureBudget.bufferMiB.upperBound) << 20 <= Int64(Int32.max))
        #expect(Int64(CaptureBudget.conntrackKiB.upperBound) << 10 <= Int64(Int32.max))
    }
}
