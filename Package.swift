// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "clearml-k8s-glue",
    platforms: [.macOS(.v15)],
    products: [
        // What runs in a cluster: the controller and the in-pod agent, one binary.
        .executable(name: "clearml-glue", targets: ["clearml-glue"]),
        // The embedded ClearML server and Kubernetes cluster (`dev`, `server`, `cluster`), for trials and tests.
        .executable(name: "clearml-glue-dev", targets: ["clearml-glue-dev"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libcurl, wrapped in a few C shims because curl_easy_setopt is variadic.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(name: "HTTPClient", dependencies: ["CCurl"], swiftSettings: strict),
        // Digests through the system's libcrypto (OpenSSL 3, which libcurl loads anyway), so that the binary
        // that runs in a cluster carries no second, vendored crypto library.
        .target(
            name: "CCrypto",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(name: "Hashing", dependencies: ["CCrypto"], swiftSettings: strict),
        .target(name: "ClearMLConfig", dependencies: ["JSONValue"], swiftSettings: strict),
        .target(name: "JSONValue", swiftSettings: strict),
        .target(
            name: "GlueLogging",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ClearMLAPI",
            dependencies: ["HTTPClient", "ClearMLConfig", "JSONValue", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "KubeAPI",
            dependencies: ["HTTPClient", "JSONValue", "Yams", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Embedded single-node Kubernetes API server that runs pods as local processes.
        .target(
            name: "DevCluster",
            dependencies: [
                "KubeAPI", "JSONValue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Embedded ClearML-compatible API server (SQLite), for local use and as the tests' real server.
        .target(
            name: "DevServer",
            dependencies: [
                "JSONValue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The controller: scheduling, pod rendering, pod monitoring, reconciling.
        .target(
            name: "Glue",
            dependencies: [
                "ClearMLConfig", "ClearMLAPI", "KubeAPI", "JSONValue", "Hashing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        // The in-pod executor: claim, checkout, environment, run, console, abort, status.
        .target(
            name: "Agent",
            dependencies: [
                "ClearMLAPI", "ClearMLConfig", "HTTPClient", "JSONValue", "Hashing",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Command-line pieces both executables share: the global options and logging set-up.
        .target(
            name: "GlueCLI",
            dependencies: ["GlueLogging", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // Never DevServer, DevCluster or their dependencies (GRDB, swift-crypto, TLS servers): this binary is
        // the glue image and the agent bundle copied into every task pod.
        .executableTarget(
            name: "clearml-glue",
            dependencies: [
                "HTTPClient", "ClearMLConfig", "GlueLogging", "GlueCLI", "ClearMLAPI", "KubeAPI",
                "JSONValue", "Yams", "Glue", "Agent",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "clearml-glue-dev",
            dependencies: [
                "HTTPClient", "GlueCLI", "ClearMLAPI", "DevServer", "KubeAPI", "DevCluster", "JSONValue", "Glue",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Shared by the test targets: fixture processes on loopback, TLS material, deadlines.
        .target(name: "GlueTestSupport", path: "Tests/GlueTestSupport", swiftSettings: strict),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "GlueTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "AgentTests",
            dependencies: ["Agent", "ClearMLAPI", "ClearMLConfig", "DevServer", "HTTPClient", "JSONValue", "GlueTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GlueTests",
            dependencies: [
                "Glue", "JSONValue", "ClearMLAPI", "ClearMLConfig", "KubeAPI", "DevServer", "DevCluster", "DevClusterTesting",
                "GlueTestSupport", "HTTPClient", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "JSONValueTests", dependencies: ["JSONValue"], swiftSettings: strict),
        .testTarget(name: "HashingTests", dependencies: ["Hashing"], swiftSettings: strict),
        .testTarget(name: "ClearMLConfigTests", dependencies: ["ClearMLConfig"], swiftSettings: strict),
        .testTarget(
            name: "GlueLoggingTests",
            dependencies: ["GlueLogging", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "DevClusterTesting", dependencies: ["DevCluster", "KubeAPI", "JSONValue", "HTTPClient"], path: "Tests/DevClusterTesting", swiftSettings: strict),
        .testTarget(name: "KubeAPITests", dependencies: ["KubeAPI", "DevCluster", "DevClusterTesting", "HTTPClient", "JSONValue", "GlueTestSupport"], swiftSettings: strict),
        .testTarget(name: "DevClusterTests", dependencies: ["DevCluster", "DevClusterTesting", "KubeAPI", "HTTPClient", "JSONValue", "GlueTestSupport"], swiftSettings: strict),
        .testTarget(name: "DevServerTests", dependencies: ["DevServer", "HTTPClient", "JSONValue", "GlueTestSupport"], swiftSettings: strict),
        .testTarget(name: "ClearMLAPITests", dependencies: ["ClearMLAPI", "DevServer", "HTTPClient", "ClearMLConfig", "JSONValue", "GlueTestSupport"], swiftSettings: strict),
        // Runs the built binaries end to end (config, init through a pseudo-terminal, errors, the dev demo).
        .testTarget(name: "CLITests", dependencies: ["clearml-glue", "clearml-glue-dev", "GlueTestSupport"], swiftSettings: strict),
    ]
)
