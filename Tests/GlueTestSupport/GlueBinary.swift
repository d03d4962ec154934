import Foundation

/// Finds the built `clearml-glue` next to the test bundle, whatever `--scratch-path` was used.
enum GlueBinary {
    struct NotFound: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "clearml-glue binary not found (looked in \(searched.joined(separator: ", "))); build it with 'swift build' or set CLEARML_GLUE_BINARY"
        }
    }

    static func path() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["CLEARML_GLUE_BINARY"], !explicit.isEmpty {
            candidates.append(explicit)
        }
        // The test runner lives in the same products folder as the executable (…/debug/<Package>PackageTests.xctest).
        for runner in [CommandLine.arguments.first, Bundle.main.executablePath, Bundle.main.bundlePath].compactMap({ $0 }) {
            var folder = URL(fileURLWithPath: runner).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent("clearml-glue").path)
                folder = folder.deletingLastPathComponent()
            }
        }
        // Fallback: the newest .build*/debug/clearml-glue under the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: root.path))?.filter { $0.hasPrefix(".build") } ?? []
        let built = scratch.map { root.appendingPathComponent($0).appendingPathComponent("debug/clearml-glue").path }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
            .sorted { modified($0) > modified($1) }
        candidates += built
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw NotFound(searched: candidates)
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}

/// A scratch HOME for one test, removed afterwards.
final class TemporaryHome {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("clearml-glue-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: file(name), encoding: .utf8)
    }

    /// A controlled environment: this HOME, a plain PATH, nothing inherited (no CLEARML_* from the developer).
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": path, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"].merging(extra) { $1 }
    }
}
