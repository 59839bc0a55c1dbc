import Foundation

extension AzureDriver {
    /// `storage.azure`, with distribution's and the operator's parameter names (see
    /// ``AzureConfiguration`` for their meaning).
    public static let registration = StorageDriverRegistration(name: "azure", parameters: [
        StorageDriverParameter("accountname", required: true),
        StorageDriverParameter("accountkey", secret: true),
        StorageDriverParameter("container", required: true),
        StorageDriverParameter("rootdirectory"),
        StorageDriverParameter("realm"),
        StorageDriverParameter("cloudname", .choice(AzureConfiguration.realms.keys.sorted())),
        StorageDriverParameter("serviceurl"),
        StorageDriverParameter("chunksize", .integer(1...AzureConfiguration.maximumChunkSize)),
        StorageDriverParameter("redirectexpiry", .integer(1...(7 * 24 * 3600))),
        StorageDriverParameter("trustedca"),
        StorageDriverParameter("credentials.type", .choice(["shared_key", "client_secret", "default_credentials"])),
        StorageDriverParameter("credentials.clientid"),
        StorageDriverParameter("credentials.tenantid"),
        StorageDriverParameter("credentials.secret", secret: true),
        StorageDriverParameter("credentials.authorityhost"),
    ]) { p in
        try AzureDriver(configuration: try AzureConfiguration(parameters: p.values))
    }
}
