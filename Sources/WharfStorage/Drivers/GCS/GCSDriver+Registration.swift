import Foundation

extension GCSDriver {
    /// `storage.gcs`, with distribution's and the OpenShift operator's parameter names
    /// (see ``GCSConfiguration`` for their meaning).
    public static let registration = StorageDriverRegistration(name: "gcs", parameters: [
        StorageDriverParameter("bucket", required: true),
        StorageDriverParameter("rootdirectory"),
        StorageDriverParameter("chunksize", .integer(GCSConfiguration.chunkQuantum...Int.max),
                               default: String(GCSConfiguration.defaultChunkSize)),
        StorageDriverParameter("keyfile", secret: true),
        StorageDriverParameter("credentials", secret: true),
        StorageDriverParameter("projectid"),
        StorageDriverParameter("region"),
        StorageDriverParameter("keyid"),
        StorageDriverParameter("endpoint"),
        StorageDriverParameter("redirectexpiry", .integer(1...(7 * 24 * 3600))),
        StorageDriverParameter("trustedca"),
    ]) { p in
        try GCSDriver(configuration: try GCSConfiguration(parameters: p.values))
    }
}
