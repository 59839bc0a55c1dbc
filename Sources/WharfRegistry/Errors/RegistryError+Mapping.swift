import WharfAPI
import WharfHTTP
import WharfStorage

extension RegistryError {
    /// Maps any error thrown below the handlers to a registry error: storage failures
    /// become 500 `UNKNOWN` (their text in `detail`), a full device 507, an unreachable
    /// backend 503 naming it with `Retry-After`, body limits 413, truncated bodies 400.
    public static func from(_ error: Error) -> RegistryError {
        if let e = error as? RegistryError { return e }
        if let e = error as? RequestBodyError {
            switch e {
            case .tooLarge(let limit):
                return RegistryError(.sizeInvalid, message: "request body too large", detail: "limit \(limit) bytes", status: 413)
            case .truncated:
                return RegistryError(.blobUploadInvalid, message: "request body ended early", status: 400)
            case .malformed(let m):
                return RegistryError(.blobUploadInvalid, message: "malformed request body", detail: m, status: 400)
            case .alreadyConsumed:
                return RegistryError(.unknown, detail: "request body already consumed")
            }
        }
        if let e = error as? StorageError {
            switch e {
            case .unavailable(let driver, _):
                return RegistryError(.unknown, message: "storage unavailable: the \(driver) storage backend cannot be reached",
                                     detail: e.description, status: 503, headers: ["Retry-After": "5"])
            case .outOfSpace:
                return RegistryError(.unknown, message: "storage is full: no space left on the storage backend",
                                     detail: e.description, status: 507)
            default:
                break
            }
            return RegistryError(.unknown, message: "storage error", detail: e.description, status: 500)
        }
        return RegistryError(.unknown, detail: String(describing: error))
    }
}
