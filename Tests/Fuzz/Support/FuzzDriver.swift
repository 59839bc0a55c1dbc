import Foundation

/// The glue every fuzz target shares, so each target's file holds only its fuzz function.
///
/// A target file ends with:
///
/// ```swift
/// #if FUZZING
/// @_cdecl("LLVMFuzzerTestOneInput")
/// public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
///     fuzzThing(FuzzDriver.bytes(data, size))
///     return 0
/// }
///
/// @_cdecl("wharf_fuzz_thing_main")   // SwiftPM's name for the target's entry point
/// public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
///     FuzzDriver.run(argc, argv, fuzz)
/// }
/// #else
/// @main struct ThingFuzzReplay {
///     static func main() { FuzzDriver.replay("wharf-fuzz-thing", fuzzThing) }
/// }
/// #endif
/// ```
///
/// Built by `Tests/Fuzz/run.sh` (`-sanitize=fuzzer -DFUZZING`), the target is a libFuzzer
/// binary; in a normal build it replays saved inputs, so a crash can be debugged without the
/// sanitizer runtime.
public enum FuzzDriver {
    /// `argv` as C hands it to an entry point.
    public typealias Arguments = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    /// libFuzzer's per-input callback.
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    /// The input libFuzzer passes, copied into an array (empty when there is none).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    #if FUZZING
    /// Hands the process to libFuzzer's driver. SwiftPM links an executable's `main` as
    /// `<module>_main`, so libFuzzer's own `main` never runs and we call its driver instead.
    public static func run(_ argc: Int32, _ argv: Arguments, _ callback: Callback) -> Int32 {
        var count = argc
        var vector = argv
        return LLVMFuzzerRunDriver(&count, &vector, callback)
    }
    #endif

    /// Runs `body` on every file named on the command line (every file, sorted, of a named
    /// directory), printing one line per input; exits 2 on a path that does not exist.
    public static func replay(_ program: String, _ body: ([UInt8]) -> Void) {
        let arguments = CommandLine.arguments.dropFirst()
        guard !arguments.isEmpty else {
            print("usage: \(program) FILE|DIRECTORY...   (replays inputs through the fuzz function)")
            return
        }
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("\(program): no such file: \(argument)\n".utf8))
                exit(2)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { argument + "/" + $0 }
                : [argument]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                body(Array(data))
                print("ok \(file)")
            }
        }
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzDriver.Callback
) -> Int32
#endif
