import Foundation

/// Finds the built `clearml-glue` (or `clearml-glue-dev`) next to the test bundle, whatever `--scratch-path`
/// was used.
public enum GlueBinary {
    public struct NotFound: Error, CustomStringConvertible {
        let name: String
        let variable: String
        let searched: [String]
        public var description: String {
            "\(name) binary not found (looked in \(searched.joined(separator: ", "))); build it with 'swift build' or set \(variable)"
        }
    }

    /// The product that runs in a cluster: glue, execute, config, init, list, render.
    public static func path() throws -> String {
        try path(of: "clearml-glue", variable: "CLEARML_GLUE_BINARY")
    }

    /// The embedded stack: dev, server, cluster.
    public static func devPath() throws -> String {
        try path(of: "clearml-glue-dev", variable: "CLEARML_GLUE_DEV_BINARY")
    }

    static func path(of name: String, variable: String) throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment[variable], !explicit.isEmpty {
            candidates.append(explicit)
        }
        // The test runner lives in the same products folder as the executable (…/debug/<Package>PackageTests.xctest).
        for runner in [CommandLine.arguments.first, Bundle.main.executablePath, Bundle.main.bundlePath].compactMap({ $0 }) {
            var folder = URL(fileURLWithPath: runner).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent(name).path)
                folder = folder.deletingLastPathComponent()
            }
        }
        // Fallback: the newest .build*/debug/<name> under the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: root.path))?.filter { $0.hasPrefix(".build") } ?? []
        let built = scratch.map { root.appendingPathComponent($0).appendingPathComponent("debug/" + name).path }
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
        throw NotFound(name: name, variable: variable, searched: candidates)
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}
