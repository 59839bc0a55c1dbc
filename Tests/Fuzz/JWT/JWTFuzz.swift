import Foundation
import WharfFuzzing
import WharfAuth
import WharfCrypto

// Run: Tests/Fuzz/run.sh jwt 600. Replay: swift run wharf-fuzz-jwt FILE|DIRECTORY

let verifier = JSONWebToken(key: Array("fuzz-key-0123456789abcdef".utf8), issuer: "wharf", audience: "registry")
let now = Date(timeIntervalSince1970: 1_800_000_000)

/// Two ways in, chosen by the first byte:
/// - even: the rest is a compact token as a client would send it (forged, truncated, odd
///   base64, huge numbers);
/// - odd: the rest is `<header JSON> NUL <claims JSON>`, signed here with the verifier's own
///   key, so the claim checks behind the signature get fuzzed too.
/// Beyond "no crash": claims that verify are current at `now`, ours (issuer, audience), and
/// survive a sign + verify round trip unchanged.
func fuzzJWT(_ bytes: [UInt8]) {
    guard let mode = bytes.first else { return }
    let rest = Array(bytes.dropFirst())
    let token: String
    if mode % 2 == 0 {
        token = String(decoding: rest, as: UTF8.self)
    } else {
        let split = rest.firstIndex(of: 0) ?? rest.count
        let input = Base64URL.encode(Array(rest[..<split])) + "." + Base64URL.encode(Array(rest[min(split + 1, rest.count)...]))
        token = input + "." + Base64URL.encode(HMAC.sign(key: verifier.key, message: Array(input.utf8)))
    }
    guard let claims = try? verifier.verify(token, now: now) else { return }
    let t = Int64(now.timeIntervalSince1970)
    guard claims.expiresAt > t, claims.issuedAt <= t + verifier.leeway, claims.notBefore <= t + verifier.leeway,
          claims.issuer == verifier.issuer, claims.audience == verifier.audience else {
        fatalError("accepted claims that are not current or not ours: \(claims)")
    }
    guard let again = try? verifier.verify(verifier.sign(claims), now: now), again == claims else {
        fatalError("claims do not survive sign + verify: \(claims)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzJWT(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_jwt_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct JWTFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-jwt", fuzzJWT) }
}
#endif
