#ifndef CCRYPTO_H
#define CCRYPTO_H

#include <stddef.h>
#include <stdint.h>

// One-shot digests through the system's libcrypto (OpenSSL 3), which libcurl already loads: the binary
// needs no second, vendored copy of a crypto library for a few hashes.

/// MD5 of `length` bytes at `data` into `out` (16 bytes). Returns 1 on success, 0 on failure.
int ccrypto_md5(const void *data, size_t length, uint8_t *out);

/// SHA-256 of `length` bytes at `data` into `out` (32 bytes). Returns 1 on success, 0 on failure.
int ccrypto_sha256(const void *data, size_t length, uint8_t *out);

#endif
