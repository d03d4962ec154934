import Foundation

/// A reproducible random number generator (SplitMix64) for tests that pick timings or inputs at random.
/// The seed comes from `GLUE_TEST_SEED` when set, else from the system generator, and is printed, so a
/// failure seen once can be replayed with `GLUE_TEST_SEED=<seed> swift test --filter ...`.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    /// Seeded from `GLUE_TEST_SEED` or at random; prints `<label>: seed N (replay with GLUE_TEST_SEED=N)`.
    public static func fromEnvironment(_ label: String) -> SeededRandom {
        let given = ProcessInfo.processInfo.environment["GLUE_TEST_SEED"].flatMap { UInt64($0) }
        var system = SystemRandomNumberGenerator()
        let generator = SeededRandom(seed: given ?? system.next())
        print("\(label): seed \(generator.seed) (replay with GLUE_TEST_SEED=\(generator.seed))")
        return generator
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
