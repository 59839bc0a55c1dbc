import Foundation
import XCTest
import WharfConfig

/// docs/configuration.md lists every key of the schema, so the reference cannot fall behind.
final class ConfigurationDocsTests: XCTestCase {
    static func leafPaths(_ schema: ConfigSchema, _ prefix: String) -> [String] {
        switch schema {
        case .scalar, .stringMap, .listMap:
            return [prefix]
        case .section(let children):
            if children.isEmpty { return [prefix] }
            if let item = schema.listItem {
                if case .scalar = item { return [prefix] }
                return leafPaths(item, prefix + "[]")
            }
            return children.flatMap { leafPaths($0.1, prefix.isEmpty ? $0.0 : "\(prefix).\($0.0)") }
        }
    }

    func testEveryKeyIsDocumented() throws {
        let docs = ExampleConfigTests.configDirectory.deletingLastPathComponent().appendingPathComponent("docs/configuration.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let keys = Self.leafPaths(ConfigSchema.root, "")
        XCTAssertTrue(keys.contains("openshift.requests.write.maxwaitinqueue"))
        for key in keys {
            XCTAssertTrue(text.contains("`\(key)`"), "docs/configuration.md does not list \(key)")
        }
    }
}
