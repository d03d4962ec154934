import CCrypto

/// Hex digests of strings, for names and cache keys (not for security: MD5 is here because upstream's pod
/// label uses it). Computed by the system's libcrypto.
public enum Digest {
    /// Lowercase hex MD5 of the UTF-8 bytes of `text`.
    public static func md5Hex(_ text: String) -> String {
        hex(of: text, size: 16, ccrypto_md5)
    }

    /// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
    public static func sha256Hex(_ text: String) -> String {
        hex(of: text, size: 32, ccrypto_sha256)
    }

    private static func hex(of text: String, size: Int,
                            _ function: (UnsafeRawPointer?, Int, UnsafeMutablePointer<UInt8>?) -> Int32) -> String {
        var bytes = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: size)
        let result = bytes.withUnsafeMutableBytes { input in
            out.withUnsafeMutableBufferPointer { function(input.baseAddress, input.count, $0.baseAddress) }
        }
        // EVP_Digest fails only when libcrypto cannot allocate or lacks the algorithm (a FIPS-only build
        // without MD5): a broken installation, not an input error.
        precondition(result == 1, "libcrypto could not compute a digest (is the system OpenSSL complete?)")
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(size * 2)
        for byte in out {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
