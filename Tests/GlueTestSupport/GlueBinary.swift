import Foundation

/// Finds the built `clearml-glue` next to the test bundle, whatever `--scratch-path` was used.
public enum GlueBinary {
    public struct NotFound: Error, CustomStringConvertible {
        let searched: [String]
        public var description: String {
            "clearml-glue binary not found (looked in \(searched.joined(separator: ", "))); build it with 'swift build' or set CLEARML_GLUE_BINARY"
        }
    }

    public static func path() throws -> String {
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
            .deletingLastPathComponent()
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
