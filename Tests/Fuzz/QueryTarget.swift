@testable import WorkerApp

/// URL queries as the authorization and review endpoints read them (`QueryParameters`): the
/// same decoding as a form body, every value of a repeated name kept.
enum QueryTarget {
    static func run(_ input: [UInt8]) {
        // A URI's query arrives as text.
        let text = String(decoding: input, as: UTF8.self)
        let query = QueryParameters(query: text)

        // Where the whole query reads as a form, both readers see the same values.
        guard let fields = FormFields(Array(text.utf8)) else { return }
        for name in Set(fields.pairs.map(\.name)) {
            let values = fields.all(name)
            invariant(query.all(name) == values, "query and form readers disagree on \(name)")
            // A repeated parameter is never read as one value (RFC 6749 3.1).
            invariant(query[name] == (values.count == 1 ? values[0] : nil), "parameter \(name) sent \(values.count) times")
        }
    }
}
