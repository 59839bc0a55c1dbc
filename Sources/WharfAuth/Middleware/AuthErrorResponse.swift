import WharfAPI
import WharfHTTP

/// Auth's refusals as OCI error responses, built by WharfAPI's ``RegistryError``.
enum AuthErrorResponse {
    static func make(status: Int, code: RegistryErrorCode, message: String, detail: String?, challenge: String? = nil,
                     apiHeader: Bool = false) -> HTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if let challenge { headers.set("WWW-Authenticate", challenge) }
        if apiHeader { headers.set("Docker-Distribution-API-Version", "registry/2.0") }
        return RegistryError(code, message: message, detail: detail, status: status, headers: headers).response
    }
}
