import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import SharedPlatform

/// `resource_server.type = "dummy"`: the Node original's stub site (`dummy-resource-server`,
/// which the supervisor starts), reached over HTTP at resource_server.host:port.
struct DummySite: ResourceServer {
    let http: SiteHTTPClient

    // Stored, not computed: scope ranks are looked up on every /api call.
    let scopes = ["read-only", "read-write"]
    let scopeDescriptions = ["read-only": "See your profile", "read-write": "See your profile and change your picture"]

    var functions: [String: APIFunction] {
        [
            "profile": APIFunction(scope: "read-only") { [http] call in
                let token = call.user?.siteToken ?? ""
                let site = try await http.send(.GET, "/info?token=\(PercentEncoding.component(token))")
                guard site.status == 200 else {
                    return APIResponses.failure(
                        .badGateway, message: "resource server temporarily unavailable - \(site.status)", error: "bad_gateway")
                }
                return APIResponses.relay(site)
            },
            "update_avatar": APIFunction(scope: "read-write") { _ in
                APIResponses.json(.ok, APIAnswer.succeeded)
            },
        ]
    }

    func login(username: String, password: String, clientAddress: String) async throws -> LoginOutcome {
        let body = SiteTokenExtraction.formBody([("username", username), ("password", password)])
        let site = try await http.send(
            .POST, "/login", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", clientAddress)],
            body: ByteBuffer(string: body))
        switch site.status {
        case 200:
            guard let token = SiteTokenExtraction.cookie(named: "dummy-server-token", in: site.headers["Set-Cookie"]),
                let json = site.json, let id = json["id"].map({ "\($0)" }), !id.isEmpty
            else {
                throw ResourceServerUnavailable(reason: "the login answer has no dummy-server-token cookie or no id")
            }
            return .success(SiteUser(id: id, siteToken: token, profile: SiteTokenExtraction.profile(from: json)))
        case 400, 401, 403:
            return .rejected(message: "Wrong username or password.")
        default:
            throw ResourceServerUnavailable(reason: "login answered with status \(site.status)")
        }
    }
}
