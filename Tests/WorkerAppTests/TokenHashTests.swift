import Testing
import WorkerApp

struct TokenHashTests {
    /// Stored codes and tokens are found by this hash: if it changed, every token issued before
    /// an upgrade would stop working.
    @Test func aTokenIsStoredUnderTheHexSHA256OfItsValue() {
        #expect(TokenHash.of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(TokenHash.of("abc".dropFirst(0)) == TokenHash.of("abc"), "a substring hashes like the string")
        #expect(TokenHash.of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
