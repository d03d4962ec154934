#include "CCrypto.h"

#include <openssl/evp.h>

// EVP_Digest rather than MD5()/SHA256(): the low-level calls are deprecated in OpenSSL 3.
static int digest(const EVP_MD *type, const void *data, size_t length, uint8_t *out) {
    unsigned int size = 0;
    return EVP_Digest(data, length, out, &size, type, NULL);
}

int ccrypto_md5(const void *data, size_t length, uint8_t *out) {
    return digest(EVP_md5(), data, length, out);
}

int ccrypto_sha256(const void *data, size_t length, uint8_t *out) {
    return digest(EVP_sha256(), data, length, out);
}
