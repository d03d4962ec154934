@testable import DevServer
import JSONValue
import Testing

@Suite struct DecodingTests {
    @Test func pathsVersionedAndNot() {
        #expect(RequestDecoding.parsePath("/v2.23/tasks.get_all") == .init(name: "tasks.get_all", version: APIVersion(2, 23)))
        #expect(RequestDecoding.parsePath("/auth.login") == .init(name: "auth.login", version: nil))
        #expect(RequestDecoding.parsePath("/api/v2.5/queues.get_all/") == .init(name: "queues.get_all", version: APIVersion(2, 5)))
        #expect(RequestDecoding.parsePath("/v2.x/tasks.get_all") == nil)
        #expect(RequestDecoding.parsePath("/tasks") == nil)
        #expect(RequestDecoding.parsePath("/a/b/c.d") == nil)
    }

    @Test func queryStringNestsListsAndConverts() {
        let query = RequestDecoding.parseQuery("id[]=a&id[]=b&only_fields[]=status&a.b=1&flag=true&name=x%20y")
        #expect(query["id"] == ["a", "b"])
        #expect(query["only_fields"] == ["status"])
        #expect(query["a"] == ["b": 1])
        #expect(query["flag"] == .bool(true))
        #expect(query["name"] == "x y")
    }

    @Test func jsonLinesBodyIsABatch() throws {
        let body = Array("{\"a\":1}\n\n{\"a\":2}\n".utf8)
        guard case .batch(let items) = try RequestDecoding.parseBody(body, contentType: "application/json-lines") else {
            Issue.record("expected a batch")
            return
        }
        #expect(items.count == 2)
        #expect(throws: APIError.self) { try RequestDecoding.parseBody(body, contentType: "application/json") }
    }
}
