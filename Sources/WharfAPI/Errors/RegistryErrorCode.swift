/// The error codes of the OCI distribution-spec (plus distribution's `RANGE_INVALID`,
/// `TAG_INVALID` and `UNKNOWN`), with their default message and HTTP status.
public enum RegistryErrorCode: String, Sendable, CaseIterable {
    case blobUnknown = "BLOB_UNKNOWN"
    case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
    case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
    case digestInvalid = "DIGEST_INVALID"
    case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
    case manifestInvalid = "MANIFEST_INVALID"
    case manifestUnknown = "MANIFEST_UNKNOWN"
    case nameInvalid = "NAME_INVALID"
    case nameUnknown = "NAME_UNKNOWN"
    case sizeInvalid = "SIZE_INVALID"
    case tagInvalid = "TAG_INVALID"
    case rangeInvalid = "RANGE_INVALID"
    case paginationNumberInvalid = "PAGINATION_NUMBER_INVALID"
    case unauthorized = "UNAUTHORIZED"
    case denied = "DENIED"
    case unsupported = "UNSUPPORTED"
    case tooManyRequests = "TOOMANYREQUESTS"
    case unknown = "UNKNOWN"

    /// Distribution's message for the code.
    public var message: String {
        switch self {
        case .blobUnknown: return "blob unknown to registry"
        case .blobUploadInvalid: return "blob upload invalid"
        case .blobUploadUnknown: return "blob upload unknown to registry"
        case .digestInvalid: return "provided digest did not match uploaded content"
        case .manifestBlobUnknown: return "blob unknown to registry"
        case .manifestInvalid: return "manifest invalid"
        case .manifestUnknown: return "manifest unknown"
        case .nameInvalid: return "invalid repository name"
        case .nameUnknown: return "repository name not known to registry"
        case .sizeInvalid: return "provided length did not match content length"
        case .tagInvalid: return "manifest tag did not match URI"
        case .rangeInvalid: return "invalid content range"
        case .paginationNumberInvalid: return "invalid number of results requested"
        case .unauthorized: return "authentication required"
        case .denied: return "requested access to the resource is denied"
        case .unsupported: return "The operation is unsupported."
        case .tooManyRequests: return "too many requests"
        case .unknown: return "unknown error"
        }
    }

    /// The status the spec (or distribution, where the spec is silent) gives the code.
    public var status: Int {
        switch self {
        case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown: return 404
        case .blobUploadInvalid, .digestInvalid, .manifestBlobUnknown, .manifestInvalid, .nameInvalid,
             .sizeInvalid, .tagInvalid, .paginationNumberInvalid: return 400
        case .rangeInvalid: return 416
        case .unauthorized: return 401
        case .denied: return 403
        case .unsupported: return 405
        case .tooManyRequests: return 429
        case .unknown: return 500
        }
    }
}
