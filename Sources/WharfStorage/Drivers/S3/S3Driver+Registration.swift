import Foundation

extension S3Driver {
    /// `storage.s3`, with distribution's parameter names (see ``S3Configuration`` for
    /// their meaning). Parameters accepted for compatibility but not used are declared
    /// as plain strings.
    public static let registration = StorageDriverRegistration(name: "s3", parameters: [
        StorageDriverParameter("bucket", required: true),
        StorageDriverParameter("region"),
        StorageDriverParameter("regionendpoint"),
        StorageDriverParameter("virtualhostedstyle", .boolean),
        StorageDriverParameter("encrypt", .boolean),
        StorageDriverParameter("keyid", secret: true),
        StorageDriverParameter("secure", .boolean),
        StorageDriverParameter("v4auth", .boolean),
        StorageDriverParameter("rootdirectory"),
        StorageDriverParameter("chunksize", .integer(S3Configuration.minimumChunkSize...Int.max)),
        StorageDriverParameter("storageclass"),
        StorageDriverParameter("accesskey", secret: true),
        StorageDriverParameter("secretkey", secret: true),
        StorageDriverParameter("trustedca"),
        StorageDriverParameter("redirectexpiry", .integer(1...(7 * 24 * 3600))),
        StorageDriverParameter("skipverify", .boolean),
        StorageDriverParameter("multipartcopychunksize"),
        StorageDriverParameter("multipartcopymaxconcurrency"),
        StorageDriverParameter("multipartcopythresholdsize"),
        StorageDriverParameter("objectacl"),
        StorageDriverParameter("usedualstack", .boolean),
        StorageDriverParameter("loglevel"),
        StorageDriverParameter("forcepathstyle", .boolean),
    ]) { p in
        try S3Driver(configuration: try S3Configuration(parameters: p.values))
    }
}
