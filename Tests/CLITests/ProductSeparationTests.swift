import Foundation
import GlueTestSupport
import Testing

/// `clearml-glue` is what runs in a cluster (the glue image and the agent bundle in every task pod), so it
/// must not carry the embedded dev stack, which lives in `clearml-glue-dev`. Read from the built binaries'
/// symbol names: every Swift symbol is `$s<length><module>...`.
@Suite("clearml-glue carries no dev stack (built binaries)", .timeLimit(.minutes(2)))
struct ProductSeparationTests {
    static let devOnly: Set<String> = ["DevServer", "DevCluster", "GRDB", "Crypto", "HummingbirdTLS", "NIOSSL"]

    @Test func theProductBinaryLinksNoneOfTheDevStack() throws {
        let product = try Self.symbolModules(of: GlueBinary.path())
        // Positive controls: the symbols are there to be read, and the product's own modules are in it.
        #expect(product.isSuperset(of: ["Glue", "Agent", "KubeAPI", "ClearMLAPI", "GlueCLI"]), "\(product.sorted())")
        #expect(product.intersection(Self.devOnly).isEmpty, "dev-only modules in clearml-glue: \(product.intersection(Self.devOnly).sorted())")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: GlueBinary.path()))
        #expect(bytes.range(of: Data("libsqlite3.so".utf8)) == nil, "clearml-glue must not load SQLite")
    }

    @Test func theDevBinaryHasTheEmbeddedServerAndCluster() throws {
        let dev = try Self.symbolModules(of: GlueBinary.devPath())
        #expect(dev.isSuperset(of: ["DevServer", "DevCluster", "GlueCLI"]), "\(dev.sorted())")
        #expect(!dev.contains("Agent"), "the dev binary runs no agent: its pods run clearml-glue")
    }

    /// The module names that start a `$s` Swift symbol anywhere in the file.
    static func symbolModules(of path: String) throws -> Set<String> {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var modules: Set<String> = []
        var index = 0
        let dollar = UInt8(ascii: "$"), s = UInt8(ascii: "s"), zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        while index + 3 < bytes.count {
            defer { index += 1 }
            guard bytes[index] == dollar, bytes[index + 1] == s else { continue }
            var cursor = index + 2
            var length = 0
            while cursor < bytes.count, bytes[cursor] >= zero, bytes[cursor] <= nine, length < 1000 {
                length = length * 10 + Int(bytes[cursor] - zero)
                cursor += 1
            }
            guard length > 0, cursor + length <= bytes.count else { continue }
            let name = bytes[cursor..<(cursor + length)]
            guard name.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }) else { continue }
            modules.insert(String(decoding: name, as: UTF8.self))
        }
        return modules
    }
}
