import Foundation
import WharfHTTP

/// The OCI error JSON for auth failures (WharfAuth sits below the registry, so it writes
/// its own).
enum AuthErrorResponse {
    static func make(status: Int, code: String, message: String, detail: String?, challenge: String? = nil,
                     apiHeader: Bool = false) -> HTTPResponse {
        var entry: [String: Any] = ["code": code, "message": message]
        if let detail { entry["detail"] = detail }
        let body = (try? JSONSerialization.data(withJSONObject: ["errors": [entry]], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if let challenge { headers.set("WWW-Authenticate", challenge) }
        if apiHeader { headers.set("Docker-Distribution-API-Version", "registry/2.0") }
        return HTTPResponse(status: status, headers: headers, body: .bytes(body))
    }
}
