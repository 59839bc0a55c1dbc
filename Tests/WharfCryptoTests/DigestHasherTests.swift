import WharfCrypto
import XCTest

final class DigestHasherTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(DigestHasher.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(DigestHasher.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testSHA512KnownVector() {
        XCTAssertEqual(DigestHasher.hex(Data("abc".utf8), .sha512),
                       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    }

    func testStreamingEqualsOneShotAndCopyForks() {
        let h = DigestHasher()
        h.update(Data("ab".utf8))
        let fork = h.copy()
        h.update(Data("c".utf8))
        fork.update(Data("x".utf8))
        XCTAssertEqual(h.finalizeHex(), DigestHasher.hex(Data("abc".utf8)))
        XCTAssertEqual(fork.finalizeHex(), DigestHasher.hex(Data("abx".utf8)))
    }

    func testHMACRFC4231Case2() {
        let mac = HMAC.sign(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertTrue(HMAC.verify(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8), mac: mac))
        XCTAssertFalse(HMAC.verify(key: Array("Jefe".utf8), message: Array("what do ya want for nothing!".utf8), mac: mac))
    }

    func testBase64URLRoundTripAndRejects() {
        let bytes: [UInt8] = [0xfb, 0xff, 0x00, 0x3e, 0x3f]
        let s = Base64URL.encode(bytes)
        XCTAssertFalse(s.contains("=") || s.contains("+") || s.contains("/"))
        XCTAssertEqual(Base64URL.decode(s), bytes)
        XCTAssertNil(Base64URL.decode("a*b"))
    }

    func testHexRoundTripAndRejects() {
        XCTAssertEqual(Hex.decode("00ffA0"), [0, 255, 160])
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
        XCTAssertEqual(SecureRandom.bytes(32).count, 32)
        XCTAssertNotEqual(SecureRandom.hexToken(), SecureRandom.hexToken())
        XCTAssertTrue(ConstantTime.equals("abc", "abc"))
        XCTAssertFalse(ConstantTime.equals("abc", "abd"))
    }
}
