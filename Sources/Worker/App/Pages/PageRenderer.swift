import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import OAuth2Shared

/// The HTML pages, from the Mustache templates named by `auth_server.views` (file X.mustache in
/// the views folder, so operators can replace them). Values are HTML-escaped by the template
/// engine; every page refuses framing and leaks no referrer.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary
    private let views: [String: String]
    private let site: any ResourceServer

    /// Loads every template once, at boot: a missing or broken template stops the worker from booting.
    static func load(config: ServerConfig, site: any ResourceServer) async throws -> PageRenderer {
        let directory = config.authServer.viewsDirectory
        let library: MustacheLibrary
        do {
            library = try await MustacheLibrary(directory: directory)
        } catch let error as MustacheLibrary.ParserError {
            throw WorkerBoot.CannotBoot(description: "template \(error.filename) in \(directory) does not parse: \(error.error)")
        }
        for (page, name) in config.authServer.views.sorted(by: { $0.key < $1.key })
        where ["layout", "login", "error"].contains(page) && library.getTemplate(named: name) == nil {
            throw WorkerBoot.CannotBoot(description: "auth_server.views.\(page): no template \(name).mustache in \(directory)")
        }
        return PageRenderer(library: library, views: config.authServer.views, site: site)
    }

    /// Renders `page` inside the layout.
    func render(_ page: String, title: String, status: HTTPResponse.Status = .ok, values: [String: Any], user: SiteUser? = nil) -> Response {
        var context = values
        for (key, value) in site.viewContext(page: page, user: user) where context[key] == nil { context[key] = value }
        let body = library.render(context, withTemplate: views[page] ?? page) ?? ""
        let html = library.render(["title": title, "body": body], withTemplate: views["layout"] ?? "layout") ?? body
        var response = Response(status: status, body: .init(byteBuffer: .init(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        Self.protect(&response)
        return response
    }

    func error(_ status: HTTPResponse.Status, heading: String, message: String, link: String? = nil) -> Response {
        var values: [String: Any] = ["heading": heading, "message": message]
        if let link { values["link"] = link }
        return render("error", title: heading, status: status, values: values)
    }

    private static let frameOptions = HTTPField.Name("X-Frame-Options")!
    private static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// Clickjacking, referrer and caching protection for pages that show or take credentials.
    static func protect(_ response: inout Response) {
        response.headers[frameOptions] = "DENY"
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[referrerPolicy] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
    }
}
