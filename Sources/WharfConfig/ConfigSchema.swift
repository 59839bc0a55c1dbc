import Foundation
import WharfStorage

/// The shape of config.yml: which keys exist and what kind of value each takes. One tree
/// serves both checks that must agree: unknown keys in the file are errors naming their
/// full path, and `REGISTRY_*` variables are mapped to keys by walking it (config keys
/// have no underscores, so `REGISTRY_HTTP_TLS_CERTIFICATE` is `http.tls.certificate`).
///
/// Adding a section (e.g. `auth`, `openshift`) is adding it to ``root``; its variables
/// (`REGISTRY_AUTH_*`, `REGISTRY_OPENSHIFT_*`) then map with no other change.
public indirect enum ConfigSchema: Sendable {
    /// A single value (string, bool, number, duration, size).
    case scalar
    /// A mapping with these fixed keys (a null value counts as empty).
    case section([(String, ConfigSchema)])
    /// A mapping with free keys (`log.fields`): key → scalar.
    case stringMap
    /// A mapping with free keys to lists of scalars (`http.headers`).
    case listMap
    /// A sequence whose items each have this schema (`health.file`: a list of sections).
    case list(ConfigSchema)
    /// Any value, not looked into (`middleware.*[].options`, `log.hooks[].options`).
    case anyValue
    /// A key Wharf reads but that changes nothing here: present, it adds one warning
    /// saying why (see ConfigSchema+Reference.swift).
    case noEffect(ConfigSchema, because: String)
    /// A key whose feature is not built yet: present, it adds one warning naming the issue.
    case planned(ConfigSchema, issue: Int, what: String)
    /// A value of either schema: the second is tried when the first does not fit
    /// (`storage.gcs.credentials`: JSON text, or the key's fields as a mapping).
    case either(ConfigSchema, ConfigSchema)
    /// A key Wharf knows but must refuse, because running without it would be unsafe
    /// (`auth.token`: the registry would be open). Present, it is an error saying why.
    case refused(because: String)

    /// The whole file.
    public static let root: ConfigSchema = .section([
        ("version", .scalar),
        ("loglevel", .scalar),
        ("log", .section([("level", .scalar), ("formatter", .scalar), ("fields", .stringMap)] + referenceLogKeys)),
        ("http", .section([
            ("addr", .scalar), ("host", .scalar), ("prefix", .scalar), ("secret", .scalar),
            ("relativeurls", .scalar), ("draintimeout", .scalar),
            ("tls", .section([("certificate", .scalar), ("key", .scalar), ("minimumtls", .scalar)] + referenceTLSKeys)),
            ("http2", .section([("disabled", .scalar), ("maxconcurrentstreams", .scalar), ("flowcontroltimeout", .scalar)])),
            ("headers", .listMap),
            ("limits", .section([
                ("maxheaderbytes", .scalar), ("maxrequestlinebytes", .scalar), ("maxheadercount", .scalar), ("idletimeout", .scalar),
                ("headertimeout", .scalar), ("maxconnections", .scalar), ("maxbodysize", .scalar),
                ("reservedconnections", .scalar), ("iotimeout", .scalar),
            ])),
        ] + referenceHTTPKeys)),
        ("storage", .section([
            ("delete", .section([("enabled", .scalar)])),
            ("redirect", .section([("disable", .scalar)])),
            ("maintenance", .section([
                ("readonly", .section([("enabled", .scalar)])),
                ("uploadpurging", .section([("enabled", .scalar), ("age", .scalar), ("interval", .scalar), ("dryrun", .scalar)])),
                ("pruning", .section([
                    ("enabled", .scalar), ("schedule", .scalar), ("suspend", .scalar), ("keeptagrevisions", .scalar),
                    ("keepyoungerthan", .scalar), ("ignoreinvalidimagereferences", .scalar), ("dryrun", .scalar),
                ])),
                ("gc", .section([
                    ("enabled", .scalar), ("interval", .scalar), ("graceperiod", .scalar), ("deleteuntagged", .scalar),
                    ("dryrun", .scalar), ("sweepdelay", .scalar), ("leaseduration", .scalar),
                ])),
            ])),
            ("cache", .section([("blobdescriptor", .scalar)] + referenceCacheKeys)),
        ] + referenceStorageKeys + StorageDriverFactory.registrations.map { driver in
            let structured = structuredDriverKeys(driver.name)
            guard case .section(let keys) = ConfigSchema.driverSection(driver.parameters.map(\.name)) else { fatalError("driverSection is a section") }
            return (driver.name, ConfigSchema.section(keys.map { key in (key.0, structured[key.0].map { .either(.scalar, $0) } ?? key.1) }
                                                      + referenceDriverKeys(driver.name)))
        })),
        ("openshift", .section(OperationsConfiguration.schemaKeys + referenceOpenShiftKeys)),
        ("auth", Configuration.Auth.schema),
        ("proxy", .section(ProxyConfiguration.schemaKeys)),
        ("notifications", NotificationsConfiguration.schema),
        ("redis", RedisConfiguration.schema),
        // health.*, middleware, reporting, compatibility, validation (ConfigSchema+Reference.swift)
    ] + referenceTopLevelKeys)

    /// A storage driver's section: a dotted parameter name (`credentials.type`) is a key
    /// of a nested section (`credentials: {type: ...}`, `REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE`).
    static func driverSection(_ names: [String]) -> ConfigSchema {
        var children: [(String, ConfigSchema)] = []
        var nested: [String: [String]] = [:]
        for name in names {
            guard let dot = name.firstIndex(of: ".") else { children.append((name, .scalar)); continue }
            let head = String(name[..<dot])
            if nested[head] == nil { children.append((head, .scalar)) }
            nested[head, default: []].append(String(name[name.index(after: dot)...]))
        }
        return .section(children.map { child in nested[child.0].map { (child.0, driverSection($0)) } ?? child })
    }

    /// The child schema for `key` in a section.
    public func child(_ key: String) -> ConfigSchema? {
        if case .noEffect(let inner, _) = self { return inner.child(key) }
        if case .planned(let inner, _, _) = self { return inner.child(key) }
        guard case .section(let children) = self else { return nil }
        return children.first { $0.0 == key }?.1
    }

    /// Checks `node` against this schema: unknown keys and wrong kinds are errors naming
    /// the full key path (`http.adr: unknown key`) and the line. Throws every error found.
    public func validate(_ node: YAMLNode, path: String) throws {
        var errors: [YAMLError] = []
        validate(node, path: path, errors: &errors)
        try ConfigurationErrors.throwIfAny(errors)
    }

    /// Adds every problem under `node` to `errors`, continuing past each one.
    public func validate(_ node: YAMLNode, path: String, errors: inout [YAMLError]) {
        var warnings: [String] = []
        validate(node, path: path, errors: &errors, warnings: &warnings)
    }

    /// Adds every problem under `node` to `errors` and one line per key that has no effect
    /// or is planned to `warnings`.
    public func validate(_ node: YAMLNode, path: String, errors: inout [YAMLError], warnings: inout [String]) {
        switch self {
        case .anyValue:
            return
        case .noEffect(let inner, let reason):
            if !node.isNull { warnings.append("\(path): accepted, no effect: \(reason)") }
            inner.validate(node, path: path, errors: &errors, warnings: &warnings)
        case .planned(let inner, let issue, let what):
            if !node.isNull { warnings.append("\(path): accepted, no effect yet: \(what) is planned (issue \(issue))") }
            inner.validate(node, path: path, errors: &errors, warnings: &warnings)
        case .refused(let reason):
            if !node.isNull { errors.append(node.error("\(path): not supported: \(reason)")) }
        case .either(let first, let second):
            var firstErrors: [YAMLError] = []
            first.validate(node, path: path, errors: &firstErrors, warnings: &warnings)
            if !firstErrors.isEmpty { second.validate(node, path: path, errors: &errors, warnings: &warnings) }
        case .list(let item):
            guard !node.isNull else { return }
            guard let items = node.sequence else {
                // A single scalar is a one-item list of scalars (`redis.addrs: host:6379`).
                if case .scalar = item {
                    ConfigurationErrors.collect(into: &errors, at: node) { _ = try node.stringList(at: path) }
                } else {
                    errors.append(node.error("\(path): expected a list, found \(node.kindName)"))
                }
                return
            }
            for (index, element) in items.enumerated() {
                item.validate(element, path: "\(path)[\(index)]", errors: &errors, warnings: &warnings)
            }
        case .scalar:
            ConfigurationErrors.collect(into: &errors, at: node) { _ = try node.string(at: path) }
        case .section(let children):
            guard let entries = try? node.entries(at: path.isEmpty ? "top level" : path) else {
                ConfigurationErrors.collect(into: &errors, at: node) { _ = try node.entries(at: path.isEmpty ? "top level" : path) }
                return
            }
            for entry in entries {
                let childPath = path.isEmpty ? entry.key : "\(path).\(entry.key)"
                guard let schema = children.first(where: { $0.0 == entry.key })?.1 else {
                    if path == "storage" && StorageDriverFactory.planned.contains(entry.key) {
                        errors.append(YAMLError(origin: entry.value.origin, line: entry.keyLine,
                                                message: "\(childPath): storage driver '\(entry.key)' is not supported yet (supported: \(StorageDriverFactory.knownNames.joined(separator: ", ")))"))
                        continue
                    }
                    let hint = ConfigSchema.root.hint(forUnknown: entry.key, among: children.map(\.0))
                    errors.append(YAMLError(origin: entry.value.origin, line: entry.keyLine,
                                            message: "\(childPath): unknown key" + (hint.map { " (\($0))" } ?? "")))
                    continue
                }
                schema.validate(entry.value, path: childPath, errors: &errors, warnings: &warnings)
            }
        case .stringMap:
            ConfigurationErrors.collect(into: &errors, at: node) {
                for entry in try node.entries(at: path) { _ = try entry.value.string(at: "\(path).\(entry.key)") }
            }
        case .listMap:
            ConfigurationErrors.collect(into: &errors, at: node) {
                for entry in try node.entries(at: path) { _ = try entry.value.stringList(at: "\(path).\(entry.key)") }
            }
        }
    }

    /// Maps the lower-cased components of a variable name (after `REGISTRY_`) to a key path
    /// and the schema of the value there, or nil when they name no key. Below a free-key
    /// mapping the remaining components, joined by `_`, are the key (`REGISTRY_LOG_FIELDS_SERVICE_NAME`
    /// → `log.fields.service_name`).
    public func resolve(_ components: ArraySlice<String>) -> (path: [String], schema: ConfigSchema)? {
        switch self {
        case .noEffect(let inner, _), .planned(let inner, _, _): return inner.resolve(components)
        default: break
        }
        guard let first = components.first else { return ([], self) }
        if first.isEmpty { return nil }
        switch self {
        case .scalar, .refused:
            return nil
        case .anyValue:
            return nil
        case .list(let item):
            // The whole list is given as YAML (`REGISTRY_HEALTH_FILE`); one item by its index,
            // as distribution does (`REGISTRY_HTTP_TLS_CLIENTCAS_0`, `REGISTRY_HEALTH_FILE_0_FILE`).
            guard let index = Int(first), index >= 0, String(index) == first,
                  let rest = item.resolve(components.dropFirst()) else { return nil }
            return (["#\(index)"] + rest.path, rest.schema)
        case .noEffect, .planned:
            return nil
        case .either(let text, _):
            return text.resolve(components)
        case .section:
            guard let schema = child(first), let rest = schema.resolve(components.dropFirst()) else { return nil }
            return ([first] + rest.path, rest.schema)
        case .stringMap, .listMap:
            if components.contains(where: \.isEmpty) { return nil }
            let key = components.joined(separator: "_")
            if case .stringMap = self { return ([key], .scalar) }
            return ([key], .listMap)
        }
    }
}
