import Foundation
import WharfConfig

// Run (see also Tests/Fuzz/run.sh for the HTTP target):
//   swift build --scratch-path .build-fuzz --product wharf-fuzz-yaml -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
//   mkdir -p /tmp/yaml-corpus && cp Tests/Fuzz/YAML/corpus/* /tmp/yaml-corpus/
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/wharf-fuzz-yaml -max_total_time=180 /tmp/yaml-corpus Tests/Fuzz/YAML/corpus
// (SWIFT_BACKTRACE=enable=no lets libFuzzer, not Swift's backtracer, catch a crash and save the input.)
// Replay a crashing input in a normal build: swift run wharf-fuzz-yaml crash-<hash>

/// The tree without lines and origins, to compare a document with its rewritten form.
func shape(_ node: YAMLNode) -> String {
    switch node.content {
    case .scalar(let s, _): return node.isNull ? "~" : "'" + s + "'"
    case .sequence(let items): return "[" + items.map(shape).joined(separator: ",") + "]"
    case .mapping(let entries): return "{" + entries.map { "'\($0.key)':\(shape($0.value))" }.joined(separator: ",") + "}"
    }
}

/// Feeds arbitrary bytes to the YAML reader and then to the configuration loader (with a
/// fixed environment, so `REGISTRY_*` handling is exercised too). Errors are fine; a
/// crash, trap or hang is a bug. A parsed document is also written back and re-read,
/// which must succeed.
func fuzzOne(_ data: Data) {
    if let node = try? YAMLReader.parse(data, origin: "fuzz.yml") {
        let text = YAMLWriter.write(node)
        guard let again = try? YAMLReader.parse(text, origin: "rewritten.yml") else {
            fatalError("written YAML does not read back:\n\(text)")
        }
        if shape(again) != shape(node) {
            fatalError("written YAML reads back different:\n\(text)")
        }
    }
    let environment = ["REGISTRY_LOG_LEVEL": "debug", "REGISTRY_STORAGE_DELETE_ENABLED": "true", "REGISTRY_HTTP_HEADERS_X": "[a]"]
    if let loaded = try? Configuration.parse(data, origin: "fuzz.yml", environment: environment) {
        let printed = ConfigurationPrinter.yaml(loaded.configuration, maskSecrets: false)
        guard let again = try? Configuration.parse(Data(printed.utf8), origin: "printed.yml") else {
            fatalError("printed configuration does not load:\n\(printed)")
        }
        // The environment was applied before printing, so re-reading without it is the same.
        if again.configuration != loaded.configuration {
            fatalError("printed configuration reads back different:\n\(printed)")
        }
    }
}

#if FUZZING
/// libFuzzer's driver, run from our own entry point: SwiftPM links executables with
/// `main` aliased to `<module>_main`, so libFuzzer's `main` is never used.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The process entry point SwiftPM names for this target.
@_cdecl("wharf_fuzz_yaml_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzz(data, size) }
}

/// libFuzzer's per-input entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else {
        fuzzOne(Data())
        return 0
    }
    fuzzOne(Data(bytes: data, count: size))
    return 0
}
#else
/// Replay driver: runs each file (or each file in each directory) given as an argument,
/// so a crashing input found by libFuzzer can be debugged in a normal build.
@main
struct YAMLFuzzReplay {
    static func main() {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file: \(argument)\n".utf8))
                exit(2)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { argument + "/" + $0 }
                : [argument]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                fuzzOne(data)
                count += 1
            }
        }
        print("wharf-fuzz-yaml: replayed \(count) inputs")
    }
}
#endif
