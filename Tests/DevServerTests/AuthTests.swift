@testable import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(3))) struct AuthTests {
    @Test func loginReturnsAJWTWithTheClaimsClientsRead() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let reply = try await api.call("auth.login", version: nil)
        #expect(reply.status == 200)
        let token = try #require(reply.data["token"]?.strictString)
        let parts = token.split(separator: ".")
        #expect(parts.count == 3)
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let claims = try JSONValue.decode(Array(try #require(Data(base64Encoded: payload))))
        #expect(claims["api_version"] == "2.31")
        #expect(claims["server_version"] == "2.0.0")
        #expect(claims["feature_set"] == "basic")
        #expect(claims["identity"]?["company"]?.strictString?.isEmpty == false)
        let exp = try #require(claims["exp"]?.doubleValue)
        #expect(abs(exp - Date().timeIntervalSince1970 - 30 * 86400) < 60)
        #expect(reply.headers["Set-Cookie"]?.hasPrefix("clearml_token_basic=") == true)

        // The token authenticates later calls.
        let ping = try await api.call("tasks.get_all", authorization: .bearer(token))
        #expect(ping.status == 200)
    }

    @Test func basicIsAcceptedEverywhere() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        #expect(try await api.call("queues.get_all").status == 200)
    }

    @Test func unauthorizedSubcodes() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let missing = try await api.call("tasks.get_all", authorization: .some(nil))
        #expect(missing.status == 401 && missing.subcode == 20)
        let wrong = try await api.call("tasks.get_all", authorization: .basic(username: api.server.accessKey, password: "nope"))
        #expect(wrong.status == 401 && wrong.subcode == 22)
        let malformed = try await api.raw("/tasks.get_all", body: nil, authorization: nil,
                                          headers: ["Authorization": "Basic !!!notbase64"])
        #expect(malformed.status == 401 && malformed.subcode == 21)
        let badToken = try await api.call("tasks.get_all", authorization: .bearer("a.b.c"))
        #expect(badToken.status == 401 && badToken.subcode == 30)
        let badType = try await api.raw("/tasks.get_all", body: nil, authorization: nil, headers: ["Authorization": "Digest x"])
        #expect(badType.status == 401 && badType.subcode == 10)
        #expect(missing.resultCode == 401)
        // debug.ping needs no credentials.
        #expect(try await api.call("debug.ping", authorization: .some(nil)).status == 200)
    }

    @Test func expiredAndForeignTokensAreRejected() async throws {
        let first = try await TestAPI.start()
        let second = try await TestAPI.start()
        defer { Task { await first.server.stop(); await second.server.stop() } }
        let short = try #require(try await first.ok("auth.login", ["expiration_sec": 1])["token"]?.strictString)
        let foreign = try #require(try await second.ok("auth.login")["token"]?.strictString)
        let rejected = try await first.call("tasks.get_all", authorization: .bearer(foreign))
        #expect(rejected.status == 401 && rejected.subcode == 30)
        try await Task.sleep(for: .milliseconds(2100))
        let expired = try await first.call("tasks.get_all", authorization: .bearer(short))
        #expect(expired.status == 401 && expired.subcode == 30)
    }

    @Test func givenKeysAreUsed() async throws {
        let api = try await TestAPI.start { $0.accessKey = "ACCESS"; $0.secretKey = "SECRET" }
        defer { Task { await api.server.stop() } }
        #expect(api.server.accessKey == "ACCESS")
        #expect(try await api.call("auth.login", authorization: .basic(username: "ACCESS", password: "SECRET")).status == 200)
    }
}
