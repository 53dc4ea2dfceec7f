import Foundation
import Mustache

/// The page templates named by `auth_server.views`, parsed from `auth_server.views_dir`.
package enum PageTemplates {
    /// The pages the server renders; each must have a template.
    package static let pages = ["layout", "login", "dialog", "review", "error"]

    /// Parses every template in the views folder. A folder that is missing, a template that does
    /// not parse, or a page without its template is a problem naming the config key (and the
    /// file that set it) an operator changes to fix it.
    package static func load(config: ServerConfig) async throws(ConfigError) -> MustacheLibrary {
        let directory = config.authServer.viewsDirectory
        let document = config.document
        func problem(_ key: ConfigKeyPath, _ message: String) -> ConfigError {
            ConfigError([ConfigProblem(file: document.origin(of: key), key: key, message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw problem("auth_server.views_dir", "the page templates folder \(directory) does not exist")
        }
        let library: MustacheLibrary
        do {
            // Resolved first: the library's folder walk does not follow a symbolic link, and
            // operators often link the templates folder to a release's copy.
            library = try await MustacheLibrary(directory: URL(fileURLWithPath: directory).resolvingSymlinksInPath().path)
        } catch let error as MustacheLibrary.ParserError {
            let place = "line \(error.context.lineNumber), column \(error.context.columnNumber)"
            throw problem("auth_server.views_dir", "template \(directory)/\(error.filename) does not parse (\(place)): \(error.error)")
        } catch {
            throw problem("auth_server.views_dir", "the page templates in \(directory) cannot be read: \(error)")
        }
        var missing: [ConfigProblem] = []
        for page in pages {
            let name = config.authServer.views[page] ?? page
            if library.getTemplate(named: name) == nil {
                let key = ConfigKeyPath(["auth_server", "views", page])
                missing.append(ConfigProblem(file: document.origin(of: key), key: key, message: "no template \(name).mustache in \(directory)"))
            }
        }
        guard missing.isEmpty else { throw ConfigError(missing) }
        return library
    }
}
