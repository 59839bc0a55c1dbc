// swift-tools-version:6.0
// Wharf: an OCI distribution registry. No package dependencies: Foundation, Dispatch,
// the toolchain's test frameworks and system C libraries (OpenSSL, libcrypt, zlib) only.
import PackageDescription

let package = Package(
    name: "Wharf",
    products: [
        .executable(name: "wharf", targets: ["wharf"]),
    ],
    targets: [
        // System C libraries, each behind its own module map (shims are static inline C in the header).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Linux syscalls Glibc's module leaves out (epoll, statx, O_DIRECT); headers only.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // Layers, lowest first. Arrows only point down (see docs/architecture.md).
        .target(name: "WharfCrypto", dependencies: ["COpenSSL"]),
        .target(name: "WharfHTTP", dependencies: ["COpenSSL", "CLinux"]),
        // Threads of our own for blocking syscalls (file I/O, socket connects): the filesystem
        // driver's and the HTTP client's.
        .target(name: "WharfSystem", dependencies: ["CLinux"]),
        // Our HTTP/1.1 client on WharfHTTP's transports and codec pieces: object stores,
        // upstream registries, webhooks, token endpoints.
        .target(name: "WharfHTTPClient", dependencies: ["WharfHTTP", "WharfSystem", "COpenSSL"]),
        // The API contract: every route named once, OCI error codes and JSON, shared value types.
        .target(name: "WharfAPI", dependencies: ["WharfHTTP", "WharfCrypto"]),
        .target(name: "WharfStorage", dependencies: ["WharfCrypto", "WharfHTTPClient", "WharfSystem", "COpenSSL", "CLinux"]),
        // WharfConfig validates `storage.<driver>` sections through WharfStorage's driver registry.
        .target(name: "WharfConfig", dependencies: ["WharfStorage"]),
        .target(name: "WharfMetrics"),
        .target(name: "WharfRegistry",
                dependencies: ["WharfAPI", "WharfHTTP", "WharfHTTPClient", "WharfStorage", "WharfCrypto", "WharfMetrics", "WharfSystem", "CZlib"]),
        .target(name: "WharfAuth", dependencies: ["WharfAPI", "WharfCrypto", "WharfConfig", "WharfHTTP", "WharfSystem", "CCrypt"]),
        .executableTarget(name: "wharf",
                          dependencies: ["WharfAPI", "WharfAuth", "WharfRegistry", "WharfHTTP", "WharfHTTPClient", "WharfStorage", "WharfConfig", "WharfCrypto", "WharfMetrics"]),

        // Fuzz targets: a replay driver in a normal build, a libFuzzer entry with -DFUZZING
        // (see Tests/Fuzz/README.md).
        .target(name: "WharfFuzzing", path: "Tests/Fuzz/Support"),
        .executableTarget(name: "wharf-fuzz-http1", dependencies: ["WharfHTTP", "WharfFuzzing"], path: "Tests/Fuzz/HTTP1",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-yaml", dependencies: ["WharfConfig", "WharfFuzzing"], path: "Tests/Fuzz/YAML",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-h2frames", dependencies: ["WharfHTTP", "WharfFuzzing"], path: "Tests/Fuzz/H2FRAMES",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-hpack", dependencies: ["WharfHTTP", "WharfFuzzing"], path: "Tests/Fuzz/HPACK",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-resp", dependencies: ["WharfRegistry", "WharfFuzzing"], path: "Tests/Fuzz/RESP",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-manifest", dependencies: ["WharfRegistry", "WharfAPI", "WharfFuzzing"],
                          path: "Tests/Fuzz/MANIFEST", exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-names", dependencies: ["WharfAPI", "WharfFuzzing"], path: "Tests/Fuzz/NAMES",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-ranges", dependencies: ["WharfRegistry", "WharfFuzzing"], path: "Tests/Fuzz/RANGES",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-jwt", dependencies: ["WharfAuth", "WharfCrypto", "WharfFuzzing"], path: "Tests/Fuzz/JWT",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-policy", dependencies: ["WharfAuth", "WharfFuzzing"], path: "Tests/Fuzz/POLICY",
                          exclude: ["corpus"]),
        .executableTarget(name: "wharf-fuzz-storageresponses", dependencies: ["WharfStorage", "WharfHTTP", "WharfFuzzing"],
                          path: "Tests/Fuzz/STORAGERESPONSES", exclude: ["corpus"]),

        // Shared by every test target: scratch directories, a raw socket client, curl, generated
        // content, a process launcher and the built `wharf` binary (Tests/WharfTestSupport).
        .target(name: "WharfTestSupport", path: "Tests/WharfTestSupport"),
        .testTarget(name: "WharfCryptoTests", dependencies: ["WharfCrypto", "WharfTestSupport"]),
        .testTarget(name: "WharfHTTPTests", dependencies: ["WharfHTTP", "WharfCrypto", "WharfTestSupport"]),
        .testTarget(name: "WharfHTTPClientTests", dependencies: ["WharfHTTPClient", "WharfHTTP", "WharfTestSupport"]),
        .testTarget(name: "WharfAPITests", dependencies: ["WharfAPI", "WharfHTTP", "WharfTestSupport"]),
        .testTarget(name: "WharfConfigTests", dependencies: ["WharfConfig", "WharfStorage", "WharfTestSupport"]),
        .testTarget(name: "WharfStorageTests", dependencies: ["WharfStorage", "WharfCrypto", "WharfHTTPClient", "WharfSystem", "WharfTestSupport"], exclude: ["Support"]),
        .testTarget(name: "WharfMetricsTests", dependencies: ["WharfMetrics", "WharfTestSupport"]),
        .testTarget(name: "WharfAuthTests", dependencies: ["WharfAPI", "WharfAuth", "WharfConfig", "WharfHTTP", "WharfCrypto", "WharfTestSupport"]),
        .testTarget(name: "WharfRegistryTests", dependencies: ["WharfAPI", "WharfRegistry", "WharfStorage", "WharfHTTP", "WharfCrypto", "WharfTestSupport"]),
        // Runs the built `wharf` executable (needs `swift build` first).
        .testTarget(name: "WharfCLITests", dependencies: ["WharfConfig", "WharfTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
