import Foundation

extension StorageDriverSpec {
    /// `storage.s3`, with distribution's parameter names (see `S3Configuration` in
    /// WharfStorage for their meaning); the driver reads the raw parameters.
    static let s3 = StorageDriverSpec(
        name: "s3",
        parameters: ["bucket", "region", "regionendpoint", "virtualhostedstyle", "encrypt", "keyid", "secure", "v4auth",
                     "rootdirectory", "chunksize", "storageclass", "accesskey", "secretkey", "trustedca", "redirectexpiry",
                     "skipverify", "multipartcopychunksize", "multipartcopymaxconcurrency", "multipartcopythresholdsize",
                     "objectacl", "usedualstack", "loglevel", "forcepathstyle"],
        defaults: [:]) { params, section in
            guard let bucket = params["bucket"], !bucket.isEmpty else {
                throw section.error("storage.s3.bucket: required")
            }
            if let chunk = params["chunksize"], !chunk.isEmpty, (Int(chunk) ?? 0) < 5 << 20 {
                throw (section["chunksize"] ?? section).error("storage.s3.chunksize: expected an integer ≥ 5242880 (5 MiB), found '\(chunk)'")
            }
            return .s3
        }
}
