import Foundation
import WharfCrypto

extension BcryptPassword {
    private static let dummies = DummyHashes()

    /// A hash of a random secret at the cost the given hashes use (their highest; 10 when
    /// there are none), made once per cost. Checking a password against it costs what a real
    /// check costs, so a wrong password for an unknown user takes as long as for a known one.
    public static func dummyHash(likeAnyOf hashes: [String]) -> String {
        let cost = hashes.compactMap(Self.cost(of:)).max() ?? 10
        return dummies.hash(cost: cost)
    }

    /// The cost of a bcrypt hash (`$2b$NN$...`), nil when `hash` is not one.
    static func cost(of hash: String) -> Int? {
        guard isHash(hash) else { return nil }
        let b = Array(hash.utf8)
        return Int(b[4] - 0x30) * 10 + Int(b[5] - 0x30)
    }
}

/// Dummy hashes by cost, made on first use.
private final class DummyHashes: @unchecked Sendable {
    private let lock = NSLock()
    private var byCost: [Int: String] = [:]

    func hash(cost: Int) -> String {
        lock.lock(); defer { lock.unlock() }
        if let h = byCost[cost] { return h }
        let h = (try? BcryptPassword.hash(SecureRandom.hexToken(), cost: cost)) ?? ""
        byCost[cost] = h
        return h
    }
}
