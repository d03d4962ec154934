import Foundation
import JSONValue

/// `/openapi/v2`, empty of definitions. kubectl and Helm fall back to it for client-side validation of a kind
/// whose OpenAPI v3 document does not say the server validates it (`fieldValidation`): a kind this server does
/// not serve, such as a custom resource whose CRD is missing. kubectl skips validating kinds the document does
/// not define (kubectl pkg/util/validation schemaValidation.validateResource: "resource is not present, let's
/// just skip validation"), so the request then fails the way it does on a real cluster: no REST mapping
/// ("no matches for kind ... ensure CRDs are installed first"). Clients ask for protobuf (gnostic
/// `openapi_v2.Document`: swagger = 1, info = 2 with title = 1 and version = 2); others get JSON.
enum OpenAPIv2 {
    /// What kube-openapi answers with (clients still ask with the older `...spec.v2@v1.0+protobuf`).
    static let protobufType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    static let version = "v1.32.0-devcluster"

    static func response(accept: String?) -> APIResponse {
        guard accept?.contains("protobuf") == true else {
            return .json(200, ["swagger": "2.0", "info": ["title": "Kubernetes", "version": .string(version)], "paths": [:]])
        }
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] { [number << 3 | 2] + varint(bytes.count) + bytes }
        let info = field(1, Array("Kubernetes".utf8)) + field(2, Array(version.utf8))
        let document = field(1, Array("2.0".utf8)) + field(2, info)
        let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
        continuation.yield(Data(document))
        continuation.finish()
        return .stream(contentType: protobufType, stream)
    }

    private static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value), bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }
}
