import Foundation

/// Reads a file an operator named (the configuration, an auth policy, an htpasswd file)
/// with errors that say which file, what it is and why, in the system's words:
/// `/etc/wharf/policy.yml: cannot open policy file: Permission denied`.
public enum ConfigurationFile {
    /// The bytes of `path`, at most `maxSize`; `kind` names the file in errors
    /// (`configuration file`, `policy file`).
    public static func read(_ path: String, kind: String, maxSize: Int) throws -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigurationError("\(path): cannot open \(kind): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxSize + 1) ?? Data()
        } catch {
            throw ConfigurationError("\(path): cannot read \(kind): \(reason(error))")
        }
        if data.count > maxSize { throw ConfigurationError("\(path): larger than \(maxSize) bytes") }
        return data
    }

    /// The errno text of a read failure (`Is a directory`), else the error's own words.
    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
