import Foundation
import Logging
import SharedPlatform
import SharedStorage
import TestSupport
import Testing

/// The hand-written encodings on the hot paths agree with the standards (and with what
/// Foundation read and wrote before them), including for hostile input.
struct EncodingTests {
    @Test func base64URLFollowsRFC4648() throws {
        // RFC 4648 section 10, in the URL-safe alphabet without padding.
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x3E]
        #expect(Base64URL.encode(bytes) == "-_-_AD4")
        #expect(Base64URL.decode("-_-_AD4") == bytes)
        #expect(Base64URL.decode("+/+/AD4") == nil, "the standard alphabet is not URL-safe base64")
        #expect(Base64URL.decode("Zm9v=") == nil, "no padding")
        #expect(Base64URL.decode("Zh") == nil, "leftover bits must be zero: one encoding per value")
        #expect(Base64URL.decode("Z") == nil, "no length gives one leftover character")
        for count in [0, 1, 2, 3, 16, 24, 32, 33] {
            let random = Base64URL.random(bytes: count)
            #expect(Base64URL.decode(random)?.count == count)
        }
        #expect(Set((0..<100).map { _ in Base64URL.random(bytes: 32) }).count == 100)
    }

    @Test func standardBase64AsBasicCredentialsCarryIt() {
        #expect(Base64URL.decodeStandard("dGVzdDpodW50ZXIy") == Array("test:hunter2".utf8))
        #expect(Base64URL.decodeStandard("Zm9vYg==") == Array("foob".utf8))
        #expect(Base64URL.decodeStandard("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64URL.decodeStandard("Zm9vYg=") == nil, "padding to a multiple of four")
        #expect(Base64URL.decodeStandard("-_-_") == nil, "the URL-safe alphabet is not standard base64")
        #expect(Base64URL.decodeStandard("Zm9v YmFy") == nil)
    }

    @Test func hexIsLowercaseTwoDigitsAByteBothWays() {
        // SHA-256("abc") from FIPS 180-2, as token hashes and the Node original's SHA-1 secrets are written.
        let digest: [UInt8] = [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
            0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
        ]
        let text = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(Hex.encode(digest) == text)
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.decode(text) == digest)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func percentEncodingLeavesOnlyUnreservedCharacters() {
        #expect(PercentEncoding.component("a-b_c.d~e") == "a-b_c.d~e")
        #expect(PercentEncoding.component("http://x/?a=1&b=2 3+4") == "http%3A%2F%2Fx%2F%3Fa%3D1%26b%3D2%203%2B4")
        #expect(PercentEncoding.component("é") == "%C3%A9", "non-ASCII letters are encoded, byte by byte")
        let awkward = "naïve ✓ %zz &=+"
        #expect(PercentEncoding.component(awkward).removingPercentEncoding == awkward)
    }

    @Test func jsonWriterEscapesWhatJSONRequires() throws {
        var json = JSONWriter()
        json.field("text", "quote \" backslash \\ slash / newline \n tab \t bell \u{07} é ✓")
        json.field("number", 42)
        json.field("flag", false)
        json.field("absent", nil as String?)
        json.field("list", ["a", "b\""])
        json.field(named: "dynamic \"name\"", "value")
        let bytes = json.finish()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"text":"quote \" backslash \\ slash / newline \n tab \t bell \u0007 é ✓","number":42,"flag":false,"list":["a","b\""]"#))
        // What any JSON reader makes of it.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(parsed["text"] as? String == "quote \" backslash \\ slash / newline \n tab \t bell \u{07} é ✓")
        #expect(parsed["absent"] == nil)
        #expect(parsed["dynamic \"name\""] as? String == "value")
    }

    @Test func jsonScannerReadsValidJSONAndRefusesTheRest() {
        #expect(JSONScanner.parse(Array(#"{"a":"x","b":[1,2.5,-3e2],"c":{"d":null},"e":true,"f":false}"#.utf8)) == .object([
            "a": .string("x"), "b": .array([.number(1), .number(2.5), .number(-300)]), "c": .object(["d": .null]),
            "e": .bool(true), "f": .bool(false),
        ]))
        #expect(JSONScanner.parse(Array(#" [ "\u00e9\n\"\\\/", "\ud83d\ude00" ] "#.utf8)) == .array([.string("é\n\"\\/"), .string("😀")]))
        for broken in [
            "", "{", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "\"unterminated", "\"bad \\x escape\"", "\"\\ud83d\"",
            "tru", "01x", "{\"a\":1} trailing", "\"raw \n newline\"", "\"\\u12\"", "-", "1.", "1e",
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ] {
            #expect(JSONScanner.parse(Array(broken.utf8)) == nil, "accepted: \(broken.prefix(30))")
        }
        #expect(JSONScanner.parse([0x22, 0xFF, 0x22]) == nil, "a string that is not UTF-8")
    }

    /// Found by scripts/fuzz (json): inputs Foundation's reader and the scanner disagreed on.
    @Test func jsonScannerRefusesLeadingZerosHugeNumbersAndRepeatedNames() {
        #expect(JSONScanner.parse(Array(#"{"rotatedAt":08819982000}"#.utf8)) == nil, "RFC 8259 6: no leading zero")
        #expect(JSONScanner.parse(Array("-01".utf8)) == nil)
        #expect(JSONScanner.parse(Array("1e400".utf8)) == nil, "beyond Double: Foundation refuses it too")
        #expect(JSONScanner.parse(Array("-1e400".utf8)) == nil)
        // A repeated name means different things to different readers (Foundation's two keep the
        // first and the last), so a document with one is refused.
        #expect(JSONScanner.parse(Array(#"{"a":1,"b":{"a":2},"a":3}"#.utf8)) == nil)
        #expect(JSONScanner.parse(Array(#"{"a":1,"b":{"a":2}}"#.utf8)) == .object(["a": .number(1), "b": .object(["a": .number(2)])]))
        // What stays valid around a zero.
        #expect(JSONScanner.parse(Array("[0, -0, 0.5, 0e4, 0E+2, 10, 1e308]".utf8)) == .array([
            .number(0), .number(0), .number(0.5), .number(0), .number(0), .number(10), .number(1e308),
        ]))
    }
}

/// SQLite files hold sessions and tokens: only the server's user may read them.
struct SQLiteFileTests {
    @Test func theSQLiteFileIsCreatedForItsOwnerOnly() async throws {
        let path = NSTemporaryDirectory() + "private-\(UUID().uuidString).sqlite"
        let database = try await SQLiteDatabase.open(path: path, logger: Logger(label: "permissions"))
        try await database.migrate(logger: Logger(label: "permissions"))
        await database.close()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600, "mode \(String(mode, radix: 8))")
    }
}
