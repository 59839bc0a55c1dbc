import Foundation
import WharfConfig
import WharfHTTP
import WharfHTTPClient
import WharfMetrics
import WharfRegistry

/// Builds the Redis blob descriptor cache from `storage.cache.blobdescriptor: redis` and
/// `redis.*`; nil when the cache is not Redis.
enum RedisWiring {
    static func settings(_ config: Configuration) -> RedisSettings? {
        guard config.storage.blobDescriptorCache == "redis", let first = config.redis.addrs.first,
              let (host, port) = RedisConfiguration.hostPort(first) else { return nil }
        let r = config.redis
        var s = RedisSettings(host: host, port: port)
        s.username = r.username
        s.password = r.password
        s.db = r.db
        s.dialTimeout = r.dialTimeout
        s.ioTimeout = max(r.readTimeout, r.writeTimeout)
        s.poolSize = r.poolSize
        s.maxIdle = r.maxIdleConns
        s.idleTimeout = r.connMaxIdleTime
        if let tls = r.tls {
            s.tls = true
            // The server is verified by the first of rootcas (else the system's CAs).
            s.trust = HTTPClientTrust(caBundlePath: tls.rootCAs.first)
            if let certificate = tls.certificate, let key = tls.key { s.trust.clientCertificate = (certificate, key) }
        }
        return s
    }

    static func cache(_ config: Configuration, logger: Logger, metrics: RegistryMetrics?) -> RedisBlobDescriptorCache? {
        guard let s = settings(config) else { return nil }
        logger.info("blob descriptor cache in Redis", ["addr": "\(s.host):\(s.port)", "db": String(s.db), "tls": String(s.tls)])
        return RedisBlobDescriptorCache(client: RedisClient(settings: s), logger: logger, metrics: metrics)
    }
}
