import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import SharedPlatform

/// The HTML pages, from the Mustache templates named by `auth_server.views` (file X.mustache in
/// the views folder, so operators can replace them). Values are HTML-escaped by the template
/// engine; every page refuses framing and leaks no referrer.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary
    private let views: [String: String]
    private let site: any ResourceServer

    /// The templates were parsed at boot by `PageTemplates` (a broken one stops the worker).
    init(library: MustacheLibrary, views: [String: String], site: any ResourceServer) {
        self.library = library
        self.views = views
        self.site = site
    }

    /// Renders `page` inside the layout; `user` (the signed-in user) is shown as `{{#user}}{{name}}{{/user}}`.
    /// `redirectsTo` is where a form on the page may end up after its POST (the consent page's
    /// answer redirects to the client): browsers apply CSP form-action to that redirect too.
    func render(
        _ page: String, title: String, status: HTTPResponse.Status = .ok, values: [String: Any], user: SiteUser? = nil,
        redirectsTo: String? = nil
    ) -> Response {
        var context = values
        if let user, context["user"] == nil { context["user"] = ["name": user.profile["firstName"] ?? user.username ?? user.id] }
        for (key, value) in site.viewContext(page: page, user: user) where context[key] == nil { context[key] = value }
        let body = library.render(context, withTemplate: views[page] ?? page) ?? ""
        let html = library.render(["title": title, "body": body], withTemplate: views["layout"] ?? "layout") ?? body
        var response = Response(status: status, body: .init(byteBuffer: .init(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        Self.protect(&response, formActionSource: redirectsTo.flatMap(Self.cspSource))
        return response
    }

    func error(_ status: HTTPResponse.Status, heading: String, message: String, link: String? = nil) -> Response {
        var values: [String: Any] = ["heading": heading, "message": message]
        if let link { values["link"] = link }
        return render("error", title: heading, status: status, values: values)
    }

    /// A CSP source for a redirect URI: its origin, or its scheme for a native app's custom scheme.
    static func cspSource(_ uri: String) -> String? {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased() else { return nil }
        guard scheme == "http" || scheme == "https" else { return "\(scheme):" }
        guard let host = components.host, !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-.:[]".contains($0) }) else {
            return nil
        }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Sends a browser that is not signed in to the login page, to come back to `returnTo` (a
    /// path on this server) afterwards.
    static func loginRedirect(publicURL: String, returnTo: String, loginHint: String? = nil) -> Response {
        var response = Response(status: .found)
        let hint = loginHint.map { "&login_hint=\(PercentEncoding.component($0))" } ?? ""
        response.headers[.location] = "\(publicURL)/login?return_to=\(PercentEncoding.component(returnTo))\(hint)"
        protect(&response)
        return response
    }

    /// A redirect answering a page's POST or an authorization request.
    static func redirect(_ status: HTTPResponse.Status = .found, to location: String) -> Response {
        var response = Response(status: status)
        response.headers[.location] = location
        protect(&response)
        return response
    }

    private static let frameOptions = HTTPField.Name("X-Frame-Options")!
    private static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// Clickjacking, referrer and caching protection for pages that show or take credentials.
    static func protect(_ response: inout Response, formActionSource: String? = nil) {
        response.headers[frameOptions] = "DENY"
        let formAction = ["'self'", formActionSource].compactMap { $0 }.joined(separator: " ")
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action \(formAction); frame-ancestors 'none'; base-uri 'none'"
        response.headers[referrerPolicy] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
    }
}
