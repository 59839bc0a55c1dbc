import Foundation

/// Lists (`notifications.endpoints`, `redis.addrs`): a section with the single child key
/// ``listItemKey`` whose schema every item has. A list is a section rather than a case of
/// its own because a second payload case would make ``ConfigSchema`` a multi-payload enum
/// whose boxes sit behind tagged pointers, which LeakSanitizer (the fuzzers) cannot follow.
extension ConfigSchema {
    /// The child key that marks a section as a list.
    public static let listItemKey = "[]"

    /// A sequence whose items all have `item`'s schema; a single scalar counts as a
    /// one-item list of scalars. Variables give the whole list as YAML.
    public static func list(_ item: ConfigSchema) -> ConfigSchema { .section([(listItemKey, item)]) }

    /// The items' schema when this is a list.
    public var listItem: ConfigSchema? {
        guard case .section(let children) = self, children.count == 1, children[0].0 == Self.listItemKey else { return nil }
        return children[0].1
    }

    func validateList(_ node: YAMLNode, item: ConfigSchema, path: String, errors: inout [YAMLError]) {
        guard let items = node.sequence else {
            if case .scalar = item {
                ConfigurationErrors.collect(into: &errors, at: node) { _ = try node.stringList(at: path) }
            } else if !node.isNull {
                errors.append(node.error("\(path): expected a list, found \(node.kindName)"))
            }
            return
        }
        for (i, element) in items.enumerated() { item.validate(element, path: "\(path)[\(i)]", errors: &errors) }
    }
}
