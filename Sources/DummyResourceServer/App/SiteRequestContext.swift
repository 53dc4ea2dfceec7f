import Foundation
import Hummingbird

/// The stub site's request context: Hummingbird's basic one, but answering JSON with its keys
/// in order, so the same user always gets the same bytes (the getting-started walkthrough
/// shows them, and a test compares them).
package struct SiteRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    package var responseEncoder: JSONEncoder { Self.encoder }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}
