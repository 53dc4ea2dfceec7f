import Hummingbird
import SharedPlatform
@testable import WorkerApp

/// `Cookie` headers as Hummingbird splits them and the signed session id in `sid`
/// (`SessionIDSigner`): a cookie verifies only as the exact value signed for its id.
enum SessionCookieTarget {
    static let signer = SessionIDSigner(secret: "fuzzing secret: the seed corpus is signed with it")

    static func run(_ input: [UInt8]) {
        // A Cookie header with anything in it; the seeds hold ids signed with the secret above.
        let header = String(decoding: input, as: UTF8.self)
        if let value = Cookies(from: [header])[SessionStore.cookieName]?.value, let id = signer.verifiedID(value) {
            invariant(signer.cookieValue(for: id) == value, "\(value) verified but is not the value signed for \(id)")
        }
        if let id = signer.verifiedID(header) {
            invariant(signer.cookieValue(for: id) == header, "\(header) verified but is not the value signed for \(id)")
        }

        // An id as the server makes them (URL-safe base64 of random bytes), signed: it verifies,
        // and no single changed byte of the cookie does.
        guard !input.isEmpty else { return }
        let id = Base64URL.encode(input)
        let value = signer.cookieValue(for: id)
        invariant(signer.verifiedID(value) == id, "a signed id does not verify")
        let bytes = Array(value.utf8)
        let mask = input[0] == 0 ? 1 : input[0]
        // Sixteen positions spread over the cookie (HMACs are slow in a debug build).
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 16)) {
            var altered = bytes
            altered[position] ^= mask
            let text = String(decoding: altered, as: UTF8.self)
            invariant(signer.verifiedID(text) == nil, "\(text) verified after byte \(position) of \(value) changed")
        }
    }
}
