import Foundation

/// What a user gave a client: the thing the review page lists and revokes (DESIGN section 4).
public struct Grant: Codable, Sendable, Equatable {
    public let id: String
    public let userID: String?
    public let clientID: String
    public let scope: [String]
    public let createdAt: Date
    /// The name the user signed in with (introspection's `username`); nil for grants stored
    /// before it was kept, and for clients acting for themselves.
    public var username: String? = nil
}
