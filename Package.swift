// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The modules a request runs through: there a nonisolated async function runs where its caller
// runs (SE-0461) instead of hopping to the generic executor, and every such hop asked the task
// for its preferred executor under a lock (a few per cent of a worker's CPU, measured).
let requestPathSettings = swiftSettings + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

// Fuzzing (scripts/fuzz): only when the script names libFuzzer's no-main runtime in
// OAUTH2_FUZZER_RUNTIME are our own library modules built with coverage and AddressSanitizer
// and does the `oauth2-fuzz` executable (Tests/Fuzz) exist. Every other build sees none of it, so it builds,
// links and costs what it did. Dependencies stay uninstrumented: the fuzzer follows our parsers'
// branches, not NIO's. The executable has its own `main` and calls libFuzzer's driver, because
// SwiftPM aliases an executable's `main` to its module's entry point, which clashes with the
// `main` that `-sanitize=fuzzer` links in.
let fuzzerRuntime = Context.environment["OAUTH2_FUZZER_RUNTIME"].flatMap { $0.isEmpty ? nil : $0 }
let instrumentation: [SwiftSetting] = fuzzerRuntime == nil ? [] : [.unsafeFlags(["-sanitize=fuzzer,address"])]

let package = Package(
    name: "oauth2-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "oauth2-server", targets: ["Supervisor"]),
        .executable(name: "oauth2-worker", targets: ["Worker"]),
        .executable(name: "dummy-resource-server", targets: ["DummyResourceServer"]),
        .executable(name: "oauth2-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/C/CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            path: "Sources/C/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // Variadic and macro-only libc calls that Swift cannot reach directly.
        .target(name: "CProcessShims", path: "Sources/C/CProcessShims"),

        // What every process needs: configuration, logging, systemd, the supervisor–worker
        // contract, encodings, the metrics region, the registered clients and the boot checks.
        .target(
            name: "SharedPlatform",
            dependencies: [
                "CSystemd",
                "CProcessShims",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                // For BootChecks: check-config parses the templates and TLS files as workers do.
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Shared/Platform",
            swiftSettings: requestPathSettings + instrumentation
        ),
        // The record-store contract and its backends (SQLite, PostgreSQL, Redis), migrations,
        // outage handling and storage metrics. It knows opaque records only, no domain types.
        .target(
            name: "SharedStorage",
            dependencies: [
                "SharedPlatform",
                "CHiredis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/Shared/Storage",
            swiftSettings: requestPathSettings + instrumentation
        ),
        // The signing keys in the `keys` group: workers sign with them, `rotate-keys` rotates them.
        .target(
            name: "SharedKeys",
            dependencies: [
                "SharedPlatform",
                "SharedStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Shared/Keys",
            swiftSettings: requestPathSettings + instrumentation
        ),

        .target(
            name: "WorkerApp",
            dependencies: [
                "SharedPlatform",
                "SharedStorage",
                "SharedKeys",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            path: "Sources/Worker/App",
            swiftSettings: requestPathSettings + instrumentation
        ),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "WorkerApp", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Worker/Main",
            swiftSettings: swiftSettings
        ),

        .target(
            name: "SupervisorCore",
            dependencies: [
                "SharedPlatform",
                "SharedStorage",
                "SharedKeys",
                "CProcessShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Supervisor/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Supervisor",
            dependencies: ["SupervisorCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Supervisor/Main",
            swiftSettings: swiftSettings
        ),

        // The Node original's stub website, started by the supervisor when resource_server.type is "dummy":
        // its routes (a library, which the in-process endpoint tests serve too) and its command line.
        .target(
            name: "DummyResourceServerApp",
            dependencies: [
                "SharedPlatform",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/DummyResourceServer/App",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DummyResourceServer",
            dependencies: [
                "DummyResourceServerApp",
                "SharedPlatform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/DummyResourceServer/Main",
            swiftSettings: swiftSettings
        ),

        // scripts/bench's helpers: the bare SwiftNIO baseline and the browser-flow driver.
        .executableTarget(
            name: "Bench",
            dependencies: [
                "SharedPlatform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Bench",
            swiftSettings: swiftSettings
        ),

        // Real servers (PostgreSQL, Redis) that tests start, stop and restart.
        .target(
            name: "TestSupport",
            dependencies: [
                "CProcessShims", "SharedPlatform", "SharedStorage", "SharedKeys",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            exclude: ["example_site.py"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WorkerAppTests",
            dependencies: [
                "WorkerApp", "SharedPlatform", "SharedStorage", "SharedKeys", "TestSupport", "DummyResourceServerApp",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The supervisor's decisions, driven through a process table kept in memory.
        .testTarget(
            name: "SupervisorCoreTests",
            dependencies: ["SupervisorCore", "SharedPlatform", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: [
                "SharedPlatform", "SharedStorage", "SharedKeys", "TestSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SharedPlatform",
                "SharedStorage",
                "WorkerApp",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

if let fuzzerRuntime {
    package.products.append(.executable(name: "oauth2-fuzz", targets: ["Fuzz"]))
    package.targets.append(
        .executableTarget(
            name: "Fuzz",
            dependencies: ["SharedPlatform", "SharedStorage", "WorkerApp", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/Fuzz",
            exclude: ["Corpus", "Dictionaries"],
            swiftSettings: swiftSettings + instrumentation,
            linkerSettings: [.unsafeFlags(["-sanitize=address", "-Xlinker", fuzzerRuntime, "-lstdc++"])]
        ))
}
