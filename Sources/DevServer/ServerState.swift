import Foundation
import GRDB
import Logging

/// Everything endpoints share: storage, auth, configuration. Immutable after bootstrap; mutable state lives in
/// SQLite behind the store's serialized writer.
final class ServerState: Sendable {
    let store: Store
    let authenticator: Authenticator
    let configuration: DevServerConfiguration
    let logger: Logger
    let accessKey: String
    let secretKey: String
    let generatedCredentials: Bool
    let ledger = CallLedger()
    /// `--record-requests`: nil unless asked.
    let recorder: RequestRecorder?

    var identity: Identity { authenticator.identity }
    var company: String { authenticator.identity.company }

    init(store: Store, configuration: DevServerConfiguration, logger: Logger) throws {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        recorder = try configuration.recordRequestsPath.map { path throws(DevServerError) in try RequestRecorder(path: path) }
        let now = Timestamps.iso(Date())
        let boot = try store.pool.write { db -> (Identity, [UInt8], [String: String], String, String, Bool) in
            func setting(_ key: String, default make: () -> String) throws -> String {
                if let value = try db.setting(key) { return value }
                let value = make()
                try db.setSetting(key, value)
                return value
            }
            let company = try setting("company") { Identifiers.make() }
            let user = try setting("user") { Identifiers.make() }
            let secretHex = try setting("token_secret") {
                (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            }
            var generated = false
            let access: String, secret: String
            if let key = configuration.accessKey, let value = configuration.secretKey {
                (access, secret) = (key, value)
                try db.execute(
                    sql: "INSERT OR REPLACE INTO credentials(access_key, secret_key, user, created) VALUES (?, ?, ?, ?)",
                    arguments: [key, value, user, now])
            } else if let row = try Row.fetchOne(db, sql: "SELECT access_key, secret_key FROM credentials ORDER BY created, rowid LIMIT 1") {
                (access, secret) = (row["access_key"], row["secret_key"])
            } else {
                access = Identifiers.randomKey(length: 30)
                secret = Identifiers.randomKey(
                    length: 50, alphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                generated = true
                try db.execute(
                    sql: "INSERT INTO credentials(access_key, secret_key, user, created) VALUES (?, ?, ?, ?)",
                    arguments: [access, secret, user, now])
            }
            var all: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT access_key, secret_key FROM credentials") {
                all[row["access_key"]] = row["secret_key"]
            }
            try QueueStore.ensureDefaultQueue(db, company: company, user: user, now: now)
            let identity = Identity(company: company, companyName: "clearml", user: user, userName: "glue", role: "user")
            return (identity, Self.bytes(fromHex: secretHex), all, access, secret, generated)
        }
        authenticator = Authenticator(
            credentials: boot.2, identity: boot.0, signer: JWTSigner(secret: boot.1),
            tokenLifetime: configuration.tokenLifetime)
        accessKey = boot.3
        secretKey = boot.4
        generatedCredentials = boot.5
    }

    private static func bytes(fromHex hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            if let byte = UInt8(hex[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        return bytes
    }
}
