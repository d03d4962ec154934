import Hashing
import Testing

@Suite(.timeLimit(.minutes(1)))
struct DigestTests {
    // Vectors from RFC 1321 (MD5, appendix A.5) and FIPS 180-2 (SHA-256, appendix B.1).
    @Test func md5MatchesTheRFCVectors() {
        #expect(Digest.md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(Digest.md5Hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Digest.md5Hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
    }

    @Test func sha256MatchesTheFIPSVectors() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func textIsHashedAsItsUTF8Bytes() {
        // "é" is C3 A9 in UTF-8 (vectors computed with Python's hashlib over "é".encode()).
        #expect(Digest.md5Hex("é") == "66ddcd97cfdeabb2f6fb8a999b4bc76f")
        #expect(Digest.sha256Hex("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c")
    }
}
