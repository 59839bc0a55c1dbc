import Foundation
import WharfHTTP

/// An error the registry answers with: the OCI error JSON and an HTTP status. The one
/// builder of the error JSON: auth failures, handler errors and unknown endpoints all
/// answer through it.
///
/// ```swift
/// throw RegistryError(.blobUnknown, detail: digest.string)
/// // 404 {"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:..."}]}
/// ```
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    /// The spec's error code.
    public var code: RegistryErrorCode
    /// Human-readable text; the code's standard message unless a handler says more.
    public var message: String
    /// Free text or nil; rendered as the `detail` member.
    public var detail: String?
    /// The HTTP status; the code's default unless overridden (e.g. 413 for an oversized manifest).
    public var status: Int
    /// Extra response headers (e.g. `Range` on a 416 for an out-of-order chunk).
    public var headers: HTTPHeaders

    /// An error of `code`; `message` and `status` default to the code's own.
    public init(_ code: RegistryErrorCode, message: String? = nil, detail: String? = nil, status: Int? = nil,
                headers: HTTPHeaders = HTTPHeaders()) {
        self.code = code
        self.message = message ?? code.message
        self.detail = detail
        self.status = status ?? code.status
        self.headers = headers
    }

    /// `CODE: message (detail)`, for logs.
    public var description: String { "\(code.rawValue): \(message)" + (detail.map { " (\($0))" } ?? "") }

    /// The error JSON: `{"errors":[{"code":...,"message":...,"detail":...}]}`.
    public var jsonBody: Data {
        var entry: [String: Any] = ["code": code.rawValue, "message": message]
        if let detail { entry["detail"] = detail }
        let doc: [String: Any] = ["errors": [entry]]
        return (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// The full response for this error.
    public var response: HTTPResponse {
        var h = headers
        h.set("Content-Type", "application/json; charset=utf-8")
        return HTTPResponse(status: status, headers: h, body: .bytes(jsonBody))
    }
}
