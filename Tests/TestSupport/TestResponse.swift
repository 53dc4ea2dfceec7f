import NIOHTTP1

/// A response as a test looks at it.
package struct TestResponse: Sendable {
    package let status: Int
    package let headers: HTTPHeaders
    package let body: String

    // Written out: the memberwise initializer would be internal to this module.
    package init(status: Int, headers: HTTPHeaders, body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package func header(_ name: String) -> String? { headers[name].first }
}
