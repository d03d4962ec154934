/// `auth.*`, `debug.ping`, `server.*`, `users.get_current_user`: session and server identity.
enum AuthEndpoints {
    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "auth.login", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let expiration = try call.int("expiration_sec")
                return ["token": .string(state.authenticator.issueToken(now: call.now, expirationSeconds: expiration))]
            },
            Endpoint(name: "debug.ping", versions: [APIVersion(1, 0)], authenticated: false) { _ in
                ["msg": "ClearML server"]
            },
            Endpoint(name: "server.info", versions: [APIVersion(1, 0)], authenticated: true) { _ in
                [
                    "version": .string(Authenticator.serverVersion), "build": "", "commit": "",
                    "api_version": .string(Authenticator.apiVersion), "uid": .string(state.company),
                ]
            },
            Endpoint(name: "users.get_current_user", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let identity = call.identity
                return [
                    "user": [
                        "id": .string(identity.user), "name": .string(identity.userName),
                        "company": ["id": .string(identity.company), "name": .string(identity.companyName)],
                        "role": .string(identity.role), "given_name": .string(identity.userName), "family_name": "",
                    ],
                    "getting_started": .object([:]),
                    "settings": .object([:]),
                ]
            },
        ]
    }
}
