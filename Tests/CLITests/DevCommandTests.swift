import Foundation
import GlueTestSupport
import Testing

/// README: "`clearml-glue-dev dev [--demo]` | works: embedded server + cluster + glue on loopback; `--demo` runs a
/// task end to end", as `scripts/demo` runs it: a demo task from a local git repository goes queued -> pod ->
/// running -> completed, and its console, as ClearML stored it, is printed.
@Suite("clearml-glue-dev dev --demo (built binary)", .timeLimit(.minutes(5)))
struct DevCommandTests {
    @Test func theDemoTaskCompletesAndItsStoredConsoleIsPrinted() throws {
        let home = try TemporaryHome()
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let result = try CLIRunner.run(["dev", "--demo", "--exit-after-demo", "--data-dir", home.file("dev")],
                                       environment: home.environment(["PATH": path]), timeout: 240,
                                       executable: try GlueBinary.devPath())
        #expect(result.status == 0, "\(result)")
        #expect(!result.looksLikeACrash, "\(result)")
        let out = result.stdout
        let phases = ["demo: task is queued", "demo: task is in_progress", "demo: task is completed"]
        let positions = phases.map { out.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(out)")
        #expect(zip(positions, positions.dropFirst()).allSatisfy { ($0 ?? out.endIndex) < ($1 ?? out.startIndex) }, "phases out of order: \(out)")
        #expect(out.contains("demo: the task's console in ClearML:"))
        #expect(out.contains("  | hello from a ClearML task run by clearml-glue"))
        #expect(out.contains("  | Process completed successfully"))
        #expect(out.contains("kubectl --kubeconfig \(home.file("dev"))/kubeconfig"), "the kubectl command to use is printed")
    }

    /// The pods run the product binary, not the dev one: without a `clearml-glue` beside it (and no
    /// `--agent-binary-path`), `dev` stops at once and says what to build.
    @Test func withoutTheProductBinaryBesideItDevSaysWhatToBuild() throws {
        let home = try TemporaryHome()
        let lone = home.file("lone")
        try FileManager.default.createDirectory(atPath: lone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try GlueBinary.devPath(), toPath: lone + "/clearml-glue-dev")
        let result = try CLIRunner.run(["dev", "--data-dir", home.file("dev")], environment: home.environment(), timeout: 60,
                                       executable: lone + "/clearml-glue-dev")
        #expect(result.status != 0, "\(result)")
        #expect(!result.looksLikeACrash, "\(result)")
        #expect(result.stderr.contains("\(lone)/clearml-glue is missing"), "\(result)")
        #expect(result.stderr.contains("swift build --product clearml-glue"), "\(result)")
        #expect(result.stderr.contains("--agent-binary-path"), "\(result)")
    }
}
