/* ECDSA P-256 verification with a table of multiples of the public key
 * (src/identity/p256_table.c). A verification computes u1*G + u2*Q: OpenSSL
 * has a table for G built in but walks Q bit by bit, which is nine tenths of
 * the work. With a table for Q as well (built once, ~150 KiB, ~20 ms) a
 * verification costs half of EVP_PKEY_verify's. Worth it only for a key that
 * signs many PASSporTs: the verifier decides when (verify.c). */
#ifndef SIPSLEUTH_P256_TABLE_H
#define SIPSLEUTH_P256_TABLE_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sl_p256_table sl_p256_table;

/* The table for pkey, or NULL when pkey is not a named P-256 key or OpenSSL
 * cannot build it (then EVP_PKEY_verify stays the way to verify). */
sl_p256_table *sl_p256_table_new(EVP_PKEY *pkey);
void sl_p256_table_free(sl_p256_table *t);

/* ECDSA over a SHA-256 digest, the signature as raw r||s: 1 verifies,
 * 0 does not, -1 OpenSSL failed (then ask EVP_PKEY_verify). Decides as
 * OpenSSL's ECDSA_do_verify does: r and s in [1, n-1], R = u1*G + u2*Q not
 * at infinity, R.x mod n == r. */
int sl_p256_table_verify(sl_p256_table *t, const uint8_t digest[32], const uint8_t raw[64]);

/* Bytes one table holds, roughly (for the memory estimate). */
#define SL_P256_TABLE_BYTES ((size_t)160 << 10)

#endif
