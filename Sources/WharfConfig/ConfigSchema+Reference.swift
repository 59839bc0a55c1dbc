import Foundation

/// The keys of distribution's configuration reference (2.8 and 3.x) and of the OpenShift
/// image registry's `config.yml` that are not plain Wharf settings: the ones Wharf reads
/// (health checks, the debug server, client certificates) and the ones it accepts with a
/// warning saying why they change nothing here, so a file written for either registry
/// loads unchanged. `notifications`, `redis` and `proxy` are added by their own features.
///
/// A key's status is in its schema: `.noEffect` (one warning line at start), `.planned`
/// (a warning naming the issue), `.refused` (an error: running without it would be
/// unsafe). docs/configuration.md lists each key with the same status.
extension ConfigSchema {
    /// `log.*` beyond level, formatter and fields.
    static let referenceLogKeys: [(String, ConfigSchema)] = [
        ("accesslog", .section([("disabled", .scalar)])),
        ("hooks", .noEffect(.list(.section([
            ("type", .scalar), ("disabled", .scalar), ("levels", .list(.scalar)), ("options", .anyValue),
        ])), because: "log hooks (mail) are not built in; ship the log lines with your log collector")),
        ("reportcaller", .noEffect(.scalar, because: "lines do not name the Swift function that wrote them")),
    ]

    /// `http.*` beyond the listener basics.
    static let referenceHTTPKeys: [(String, ConfigSchema)] = [
        ("net", .scalar),
        ("debug", .section([
            ("addr", .scalar),
            ("prometheus", .section([("enabled", .scalar), ("path", .scalar)])),
        ])),
        ("h2c", .section([
            ("enabled", .noEffect(.scalar, because: "HTTP/2 with prior knowledge (h2c) is always accepted on a plain listener unless http.http2.disabled")),
        ])),
    ]

    /// `http.tls.*` beyond certificate, key and minimumtls.
    static let referenceTLSKeys: [(String, ConfigSchema)] = [
        ("clientcas", .list(.scalar)),
        ("clientauth", .scalar),
        ("ciphersuites", .list(.scalar)),
        ("letsencrypt", .noEffect(.section([
            ("cachefile", .scalar), ("email", .scalar), ("hosts", .list(.scalar)), ("directoryurl", .scalar),
        ]), because: "ACME is not built in: give http.tls.certificate and http.tls.key (e.g. from cert-manager)")),
    ]

    /// `storage.*` beyond the driver, delete, redirect, maintenance and cache.
    static let referenceStorageKeys: [(String, ConfigSchema)] = [
        ("tag", .section([("concurrencylimit", .scalar)])),
    ]

    /// `storage.cache.*` beyond blobdescriptor.
    static let referenceCacheKeys: [(String, ConfigSchema)] = [
        ("blobdescriptorsize", .noEffect(.scalar, because: "Wharf's descriptor cache sizes itself and is revalidated on use")),
        ("layerinfo", .noEffect(.scalar, because: "the old name of storage.cache.blobdescriptor; set that instead")),
    ]

    /// Parameters of distribution's drivers that Wharf's driver of the same name does not
    /// use; each is accepted with a warning and not passed to the driver.
    static func referenceDriverKeys(_ driver: String) -> [(String, ConfigSchema)] {
        switch driver {
        case "s3":
            return [("accelerate", .noEffect(.scalar, because: "S3 transfer acceleration endpoints are not used; set regionendpoint to use one"))]
        case "azure":
            return [
                ("max_retries", .noEffect(.scalar, because: "retries follow Wharf's HTTP client policy")),
                ("retry_delay", .noEffect(.scalar, because: "retries follow Wharf's HTTP client policy")),
                ("copy_status_poll_max_retry", .noEffect(.scalar, because: "copies are not polled: blobs are written once")),
                ("copy_status_poll_delay", .noEffect(.scalar, because: "copies are not polled: blobs are written once")),
            ]
        default:
            return []
        }
    }

    /// Driver parameters distribution writes as a mapping where Wharf's driver takes text:
    /// `storage.gcs.credentials` (the service-account key's fields), passed on as JSON.
    static func structuredDriverKeys(_ driver: String) -> [String: ConfigSchema] {
        guard driver == "gcs" else { return [:] }
        return ["credentials": .section([
            "type", "project_id", "private_key_id", "private_key", "client_email", "client_id", "auth_uri",
            "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url", "universe_domain",
        ].map { ($0, ConfigSchema.scalar) })]
    }

    /// Names of ``referenceDriverKeys(_:)`` for `driver`: not passed to the driver.
    static func ignoredDriverKeys(_ driver: String) -> Set<String> {
        Set(referenceDriverKeys(driver).map(\.0))
    }

    /// `openshift.*` beyond metrics and requests.
    static let referenceOpenShiftKeys: [(String, ConfigSchema)] = [
        ("version", .scalar),
        ("auth", .section([("realm", .scalar), ("tokenrealm", .scalar)])),
        ("kubeconfig", .noEffect(.scalar, because: "Wharf does not call a Kubernetes API: roles come from the auth.openshift policy file")),
        ("server", .section([
            ("addr", .noEffect(.scalar, because: "no ImageStreams are written; clients see http.host")),
        ])),
        ("audit", .section([
            ("enabled", .noEffect(.scalar, because: "there is no separate audit log; access lines name the user (auth.user.name), method, path and status")),
        ])),
        ("quota", .noEffect(.section([("enabled", .scalar), ("cachettl", .scalar)]),
                            because: "there are no project quotas without the OpenShift API; limit the bucket or volume")),
        ("cache", .noEffect(.section([("disabled", .scalar), ("blobrepositoryttl", .scalar)]),
                            because: "Wharf's caches are revalidated on every use and have no TTL")),
        ("pullthrough", .noEffect(.section([("enabled", .scalar), ("mirror", .scalar)]),
                                  because: "OpenShift pulls through from the registries its ImageStreams name, read from the cluster API, which Wharf does not call; name the upstreams in proxy.upstreams (docs/pullthrough.md)")),
        ("compatibility", .section([
            ("acceptschema2", .noEffect(.scalar, because: "Docker schema 2 and OCI manifests are always accepted")),
        ])),
    ]

    /// `auth.*` schemes Wharf refuses rather than run open.
    static let referenceAuthKeys: [(String, ConfigSchema)] = [
        ("silly", .refused(because: "silly auth admits any request with an Authorization header; use auth.htpasswd or auth.openshift")),
        ("token", .refused(because: "tokens from an external token server are not verified here; use auth.openshift (Wharf issues its own tokens) or auth.htpasswd")),
    ]

    /// Top-level sections beyond log, http, storage, openshift and auth.
    static let referenceTopLevelKeys: [(String, ConfigSchema)] = {
        let interval: (String, ConfigSchema) = ("interval", .scalar)
        let threshold: (String, ConfigSchema) = ("threshold", .scalar)
        let timeout: (String, ConfigSchema) = ("timeout", .scalar)
        let middleware = ConfigSchema.list(.section([("name", .scalar), ("disabled", .scalar), ("options", .anyValue)]))
        return [
            ("health", .section([
                ("storagedriver", .section([("enabled", .scalar), interval, threshold])),
                ("file", .list(.section([("file", .scalar), interval]))),
                ("http", .list(.section([("uri", .scalar), ("headers", .listMap), ("statuscode", .scalar), timeout, interval, threshold]))),
                ("tcp", .list(.section([("addr", .scalar), timeout, interval, threshold]))),
            ])),
            ("middleware", .noEffect(.section([("registry", middleware), ("repository", middleware), ("storage", middleware)]),
                                     because: "there are no plug-in middlewares; blob redirects come from the storage driver (storage.redirect)")),
            ("reporting", .noEffect(.section([
                ("bugsnag", .section([("apikey", .scalar), ("releasestage", .scalar), ("endpoint", .scalar)])),
                ("newrelic", .section([("licensekey", .scalar), ("name", .scalar), ("verbose", .scalar)])),
            ]), because: "errors are not sent to Bugsnag or New Relic; use the logs and the metrics")),
            ("compatibility", .section([
                ("schema1", .noEffect(.section([("signingkeyfile", .scalar), ("enabled", .scalar)]),
                                      because: "Docker schema 1 manifests are not accepted (schema 2 and OCI only)")),
            ])),
            ("validation", .noEffect(.section([
                ("enabled", .scalar), ("disabled", .scalar),
                ("manifests", .section([
                    ("urls", .section([("allow", .list(.scalar)), ("deny", .list(.scalar))])),
                    ("indexes", .section([("platforms", .scalar), ("platformlist", .list(.section([("architecture", .scalar), ("os", .scalar)])))])),
                ])),
            ]), because: "manifests are stored as received; foreign-layer URLs and index platforms are not checked")),
        ]
    }()
}
