import Foundation
import WharfFuzzing
import WharfConfig

// Run: Tests/Fuzz/run.sh yaml 180. Replay an input in a normal build:
//   swift run wharf-fuzz-yaml FILE|DIRECTORY

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
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(Data(FuzzDriver.bytes(data, size)))
    return 0
}

@_cdecl("wharf_fuzz_yaml_main")
public func fuzzMain(_ argc: Int32, _ argv: FuzzDriver.Arguments) -> Int32 {
    FuzzDriver.run(argc, argv, fuzz)
}
#else
@main
struct YAMLFuzzReplay {
    static func main() { FuzzDriver.replay("wharf-fuzz-yaml") { fuzzOne(Data($0)) } }
}
#endif
