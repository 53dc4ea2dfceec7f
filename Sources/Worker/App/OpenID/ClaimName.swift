/// A claim's name as a JSON key: the user's claims are named by the site and its configuration,
/// so their keys are not known when this is compiled.
struct ClaimName: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
