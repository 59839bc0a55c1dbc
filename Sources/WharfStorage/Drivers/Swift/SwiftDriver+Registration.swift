import Foundation

extension SwiftDriver {
    /// `storage.swift`, with distribution's and the OpenShift operator's parameter names (see
    /// ``SwiftConfiguration`` for their meaning).
    public static let registration = StorageDriverRegistration(name: "swift", parameters: [
        StorageDriverParameter("authurl", required: true),
        StorageDriverParameter("username"),
        StorageDriverParameter("password", secret: true),
        StorageDriverParameter("authversion", .choice(["1", "2", "3"])),
        StorageDriverParameter("tenant"),
        StorageDriverParameter("tenantid"),
        StorageDriverParameter("domain"),
        StorageDriverParameter("domainid"),
        StorageDriverParameter("tenantdomain"),
        StorageDriverParameter("tenantdomainid"),
        StorageDriverParameter("trustid"),
        StorageDriverParameter("region"),
        StorageDriverParameter("regionname"),
        StorageDriverParameter("endpointtype", .choice(SwiftConfiguration.endpointTypes)),
        StorageDriverParameter("container", required: true),
        StorageDriverParameter("prefix"),
        StorageDriverParameter("rootdirectory"),
        StorageDriverParameter("chunksize", .integer(1...Int.max), default: String(SwiftConfiguration.defaultChunkSize)),
        StorageDriverParameter("secretkey", secret: true),
        StorageDriverParameter("accesskey", secret: true),
        StorageDriverParameter("tempurlcontainerkey", .boolean),
        StorageDriverParameter("tempurlmethods"),
        StorageDriverParameter("insecureskipverify", .boolean),
        StorageDriverParameter("trustedca"),
        StorageDriverParameter("redirectexpiry", .integer(1...(7 * 24 * 3600))),
    ]) { p in
        try SwiftDriver(configuration: try SwiftConfiguration(parameters: p.values))
    }
}
