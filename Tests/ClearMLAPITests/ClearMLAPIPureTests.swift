import ClearMLAPI
import ClearMLConfig
import Foundation
import HTTPClient
import JSONValue
import Testing

@Suite struct RetryPolicyTests {
    @Test(arguments: [
        (RetryPolicy.Failure.status(503), true, true), (.status(503), false, true),
        (.status(429), false, true), (.status(502), true, true), (.status(502), false, false),
        (.status(504), false, false), (.status(500), true, false), (.status(400), true, false),
        (.transport(.connectionRefused(host: "h", detail: "")), false, true),
        (.transport(.dnsFailure(host: "h", detail: "")), false, true),
        (.transport(.timeout(.connect, host: "h", after: .seconds(1))), false, true),
        (.transport(.timeout(.total, host: "h", after: .seconds(1))), false, false),
        (.transport(.timeout(.total, host: "h", after: .seconds(1))), true, true),
        (.transport(.connectionLost(host: "h", detail: "")), false, false),
        (.transport(.connectionLost(host: "h", detail: "")), true, true),
        (.transport(.tlsVerificationFailed(host: "h", reason: "")), true, false),
        (.transport(.cancelled), true, false),
    ])
    func retriesOnlyWhatIsSafe(failure: RetryPolicy.Failure, idempotent: Bool, expected: Bool) {
        #expect(RetryPolicy.shouldRetry(failure, idempotent: idempotent) == expected)
    }

    @Test func backoffGrowsIsCappedAndHonoursRetryAfter() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 0.999) < .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, random: 0.999) > .milliseconds(390))
        #expect(policy.delay(afterAttempt: 9, retryAfter: nil, random: 0.999) <= .seconds(2))
        #expect(policy.delay(afterAttempt: 2, retryAfter: nil, random: 0) == .milliseconds(20))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(7), random: 0.5) == .seconds(7))
        #expect(RetryPolicy.retryAfter(from: "1.5") == .milliseconds(1500))
        #expect(RetryPolicy.retryAfter(from: "Wed, 21 Oct 2015 07:28:00 GMT") == nil)
    }
}

@Suite struct JSONLinesBatchTests {
    @Test func splitsOnLineBoundariesAndKeepsOversizedLinesWhole() {
        let items: [JSONValue] = [["a": "12345"], ["b": "12345"], ["c": .string(String(repeating: "z", count: 50))], ["d": 1]]
        let bodies = JSONLinesBatch.bodies(for: items, maxBytes: 30).map { String(decoding: $0, as: UTF8.self) }
        #expect(bodies == [#"{"a":"12345"}"# + "\n" + #"{"b":"12345"}"#, #"{"c":""# + String(repeating: "z", count: 50) + #""}"#, #"{"d":1}"#])
        #expect(JSONLinesBatch.bodies(for: []).isEmpty)
    }
}

@Suite struct SessionConfigurationTests {
    func settings(_ environment: [String: String], file: String? = nil) throws -> ClearMLSettings {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        if let file { try file.write(toFile: home + "/clearml.conf", atomically: true, encoding: .utf8) }
        let config = try ConfigLoader(environment: environment, homeDirectory: home).load()
        return try ClearMLSettings(config)
    }

    @Test func keysFromFileAndMethodAndTLSFromEnvironment() throws {
        let s = try settings(["CLEARML_API_DEFAULT_REQ_METHOD": "post", "CLEARML_API_HOST_VERIFY_CERT": "0"],
                             file: #"api { api_server: "https://api.example.com/", credentials { access_key: "AK", secret_key: "SK" } }"#)
        let c = try ClearMLSessionConfiguration(settings: s, worker: "w1")
        #expect(c.apiServer == "https://api.example.com")
        #expect(c.credentials == .keys(accessKey: "AK", secretKey: "SK"))
        #expect(c.method == .post)
        #expect(c.http.tls.insecureSkipVerify)
        #expect(c.worker == "w1")
        #expect(!"\(c.credentials)".contains("SK"))
    }

    @Test func authTokenWinsAndVerificationStaysOnByDefault() throws {
        let c = try ClearMLSessionConfiguration(settings: settings(["CLEARML_AUTH_TOKEN": "tok", "CLEARML_API_ACCESS_KEY": "AK", "CLEARML_API_SECRET_KEY": "SK"]))
        #expect(c.credentials == .token("tok"))
        #expect(!c.http.tls.insecureSkipVerify)
        #expect(c.method == .get)
    }

    @Test(arguments: [
        (["CLEARML_OFFLINE_MODE": "1", "CLEARML_AUTH_TOKEN": "t"], "offline mode"),
        ([String: String](), "CLEARML_API_ACCESS_KEY"),
        (["CLEARML_NO_DEFAULT_SERVER": "1", "CLEARML_AUTH_TOKEN": "t"], "CLEARML_API_HOST"),
        (["CLEARML_API_DEFAULT_REQ_METHOD": "DELETE", "CLEARML_AUTH_TOKEN": "t"], "use one of GET, POST"),
    ])
    func unusableSettingsSayWhatToSet(environment: [String: String], mention: String) throws {
        #expect {
            _ = try ClearMLSessionConfiguration(settings: settings(environment))
        } throws: { error in
            "\(error)".contains(mention)
        }
    }

    @Test func aConfiguredServerSatisfiesNoDefaultServer() throws {
        let s = try settings(["CLEARML_NO_DEFAULT_SERVER": "1", "CLEARML_API_HOST": "http://h:8008", "CLEARML_AUTH_TOKEN": "t"])
        #expect(try ClearMLSessionConfiguration(settings: s).apiServer == "http://h:8008")
    }
}
