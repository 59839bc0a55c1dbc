import Foundation
import WharfFuzzing
import WharfAPI

// Run: Tests/Fuzz/run.sh names 600. Replay: swift run wharf-fuzz-names FILE|DIRECTORY

/// The distribution spec's grammars, written as regular expressions: an independent oracle
/// for the hand-written byte validators. Anchored with `\A`/`\z`: ICU's `$` also matches
/// before a final line terminator (`\n`, but also VT, FF, NEL), which the first run found.
let nameGrammar = try! NSRegularExpression(pattern: #"\A[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\z"#)
let tagGrammar = try! NSRegularExpression(pattern: #"\A[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\z"#)
let digestGrammar = try! NSRegularExpression(pattern: #"\A(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})\z"#)

func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
    re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
}

/// Differential: `RepositoryName`, `Tag`, `Digest` and `Reference` must accept exactly what
/// the grammars accept (names also at most 255 bytes), accepted values must print back as
/// given, and `Reference` must pick digest for anything with a `:` and tag otherwise.
func fuzzNames(_ bytes: [UInt8]) {
    let s = String(decoding: bytes.prefix(400), as: UTF8.self)

    let nameOK = RepositoryName.isValid(s)
    let nameExpected = s.utf8.count <= RepositoryName.maxLength && matches(nameGrammar, s)
    if nameOK != nameExpected { fatalError("RepositoryName.isValid(\(s.debugDescription)) = \(nameOK), grammar says \(nameExpected)") }
    if nameOK, (try? RepositoryName(s))?.value != s { fatalError("RepositoryName(\(s.debugDescription)) does not keep its value") }

    let tagOK = Tag.isValid(s)
    let tagExpected = matches(tagGrammar, s)
    if tagOK != tagExpected { fatalError("Tag.isValid(\(s.debugDescription)) = \(tagOK), grammar says \(tagExpected)") }

    let digest = Digest.parse(s)
    let digestExpected = matches(digestGrammar, s)
    if (digest != nil) != digestExpected { fatalError("Digest.parse(\(s.debugDescription)) = \(String(describing: digest)), grammar says \(digestExpected)") }
    if let digest, digest.description != s || digest.hex.utf8.count != digest.algorithm.hexLength {
        fatalError("Digest \(s.debugDescription) prints as \(digest)")
    }

    switch try? Reference(parsing: s) {
    case .digest(let d)?:
        if !s.contains(":") || d.description != s { fatalError("Reference(\(s.debugDescription)) is digest \(d)") }
    case .tag(let t)?:
        if s.contains(":") || t.value != s || !tagOK { fatalError("Reference(\(s.debugDescription)) is tag \(t)") }
    case nil:
        if (s.contains(":") && digest != nil) || (!s.contains(":") && tagOK) { fatalError("Reference refused \(s.debugDescription)") }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzNames(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("wharf_fuzz_names_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct NamesFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-names", fuzzNames) }
}
#endif
