import Foundation

/// How Azure requests authenticate (`credentials.type`):
///
/// | type                  | parameters / variables                                              |
/// |-----------------------|---------------------------------------------------------------------|
/// | `shared_key` (default)| `accountkey`: every request SharedKey-signed; redirects are SAS URLs |
/// | `client_secret`       | `credentials.clientid`, `credentials.tenantid`, `credentials.secret`, `credentials.authorityhost` (default `https://login.microsoftonline.com`, or `AZURE_AUTHORITY_HOST`) |
/// | `default_credentials` | `AZURE_CLIENT_ID` + `AZURE_TENANT_ID` + `AZURE_CLIENT_SECRET` (a client secret); else a managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service, Container Apps), else the instance metadata service (IMDS) |
///
/// With a token (the last two) requests carry `Authorization: Bearer` and no redirects are
/// given: a SAS for a token holder is a user-delegation SAS, which needs a service call per
/// URL; the registry serves the bytes itself. An `accountkey` given as well still signs
/// redirect SAS URLs.
public enum AzureCredentials: Sendable, Equatable {
    /// SharedKey with the account key.
    case sharedKey
    /// An app registration's OAuth2 client-credentials grant.
    case clientSecret(tenantID: String, clientID: String, secret: String, authorityHost: String)
    /// A managed identity's token endpoint: App Service style (`header` set) or IMDS.
    case managedIdentity(endpoint: String, header: String?, clientID: String?)

    /// The resource tokens are asked for.
    static let resource = "https://storage.azure.com/"
    /// The client-credentials scope of the resource.
    static let scope = "https://storage.azure.com/.default"
    /// The public cloud's authority.
    static let defaultAuthorityHost = "https://login.microsoftonline.com"
    /// The instance metadata service's token endpoint.
    static let imdsEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token"

    /// Reads `credentials.*` (flattened keys) and the `AZURE_*`/`IDENTITY_*` variables.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` naming what is missing (never a secret).
    init(parameters p: [String: String], environment env: [String: String]) throws {
        func value(_ k: String) -> String? { p[k].flatMap { $0.isEmpty ? nil : $0 } }
        func variable(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }
        let authority = value("credentials.authorityhost") ?? variable("AZURE_AUTHORITY_HOST") ?? Self.defaultAuthorityHost
        switch (value("credentials.type") ?? "shared_key").lowercased() {
        case "shared_key", "sharedkey":
            guard value("accountkey") != nil else {
                throw StorageError.unsupported("storage.azure.accountkey is required (or REGISTRY_STORAGE_AZURE_ACCOUNTKEY) with credentials.type shared_key")
            }
            self = .sharedKey
        case "client_secret":
            let missing = ["clientid", "tenantid", "secret"].filter { value("credentials.\($0)") == nil }
            guard missing.isEmpty else {
                throw StorageError.unsupported("storage.azure.credentials: client_secret needs " + missing.map { "credentials.\($0)" }.joined(separator: ", "))
            }
            self = .clientSecret(tenantID: value("credentials.tenantid")!, clientID: value("credentials.clientid")!,
                                 secret: value("credentials.secret")!, authorityHost: authority)
        case "default_credentials":
            if let client = variable("AZURE_CLIENT_ID"), let tenant = variable("AZURE_TENANT_ID"), let secret = variable("AZURE_CLIENT_SECRET") {
                self = .clientSecret(tenantID: tenant, clientID: client, secret: secret, authorityHost: authority)
            } else if let endpoint = variable("IDENTITY_ENDPOINT"), let header = variable("IDENTITY_HEADER") {
                self = .managedIdentity(endpoint: endpoint, header: header, clientID: variable("AZURE_CLIENT_ID"))
            } else {
                self = .managedIdentity(endpoint: Self.imdsEndpoint, header: nil, clientID: variable("AZURE_CLIENT_ID"))
            }
        case let other:
            throw StorageError.unsupported("storage.azure.credentials.type: expected shared_key, client_secret or default_credentials, got \"\(other)\"")
        }
    }
}
