// swift-tools-version:6.0
// Wharf: an OCI distribution registry. No package dependencies: Foundation, Dispatch,
// the toolchain's test frameworks and system C libraries (OpenSSL, zlib, libcrypt) only.
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
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // Linux syscalls Glibc's module leaves out (epoll, statx, O_DIRECT); headers only.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // Layers, lowest first. Arrows only point down (see docs/architecture.md).
        .target(name: "WharfCrypto", dependencies: ["COpenSSL"]),
        .target(name: "WharfHTTP", dependencies: ["WharfCrypto", "COpenSSL", "CLinux"]),
        .target(name: "WharfHTTPClient", dependencies: ["WharfHTTP", "COpenSSL"]),
        .target(name: "WharfConfig"),
        .target(name: "WharfStorage", dependencies: ["WharfCrypto", "WharfHTTPClient", "COpenSSL", "CLinux"]),
        .target(name: "WharfMetrics"),
        .target(name: "WharfRegistry",
                dependencies: ["WharfHTTP", "WharfStorage", "WharfCrypto", "WharfConfig", "WharfMetrics"]),
        .target(name: "WharfAuth", dependencies: ["WharfCrypto", "WharfConfig", "WharfHTTP", "CCrypt"]),
        .executableTarget(name: "wharf",
                          dependencies: ["WharfAuth", "WharfRegistry", "WharfHTTP", "WharfStorage", "WharfConfig", "WharfCrypto", "WharfMetrics"]),

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

        .testTarget(name: "WharfCryptoTests", dependencies: ["WharfCrypto"]),
        .testTarget(name: "WharfHTTPTests", dependencies: ["WharfHTTP", "WharfCrypto"]),
        .testTarget(name: "WharfHTTPClientTests", dependencies: ["WharfHTTPClient", "WharfHTTP"]),
        .testTarget(name: "WharfConfigTests", dependencies: ["WharfConfig"]),
        .testTarget(name: "WharfStorageTests", dependencies: ["WharfStorage", "WharfCrypto", "WharfHTTPClient"], exclude: ["Support"]),
        .testTarget(name: "WharfMetricsTests", dependencies: ["WharfMetrics"]),
        .testTarget(name: "WharfAuthTests", dependencies: ["WharfAuth", "WharfConfig", "WharfHTTP", "WharfCrypto"]),
        .testTarget(name: "WharfRegistryTests", dependencies: ["WharfRegistry", "WharfStorage", "WharfHTTP"]),
    ],
    swiftLanguageModes: [.v5]
)
