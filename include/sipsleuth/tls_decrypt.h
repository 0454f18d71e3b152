/* TLS record decryption with secrets from a key log: the key schedule and
 * AEAD of one direction of one connection. Everything cryptographic is
 * OpenSSL's: EVP_KDF "TLS1-PRF" (TLS 1.2 key block), "TLS13-KDF" (TLS 1.3
 * HKDF-Expand-Label) and EVP_CIPHER AEAD (AES-GCM, AES-CCM, ChaCha20-Poly1305).
 *
 * Suites: TLS 1.2 AEAD suites with AES-128/256-GCM or ChaCha20-Poly1305
 * (any key exchange: the key log carries the master secret); the five TLS
 * 1.3 suites. Key material is wiped when a cipher is cleared. */
#ifndef SIPSLEUTH_TLS_DECRYPT_H
#define SIPSLEUTH_TLS_DECRYPT_H

#include "sipsleuth/tls_keylog.h"

typedef struct sl_tls_suite {
    const char *cipher; /* OpenSSL cipher name */
    const char *digest; /* PRF / HKDF hash */
    uint16_t id;
    bool tls13;
    uint8_t key_len;      /* bytes */
    uint8_t fixed_iv_len; /* TLS 1.2 GCM: 4 (salt) + 8 explicit; else 12 */
    uint8_t tag_len;      /* 16, or 8 for CCM_8 */
    bool explicit_nonce;  /* TLS 1.2 GCM: an 8-byte nonce leads each record */
    bool ccm;
} sl_tls_suite;

/* The suite, when sipsleuth can decrypt it under this version, else NULL. */
const sl_tls_suite *sl_tls_suite_find(uint16_t id, uint16_t version);

typedef struct sl_tls_cipher {
    const sl_tls_suite *suite;
    uint8_t key[32];
    uint8_t iv[12];
    uint8_t secret[SL_TLS_MAX_SECRET]; /* TLS 1.3: the traffic secret (key updates) */
    uint8_t secret_len;
    uint64_t seq;
    bool ready;
} sl_tls_cipher;

/* TLS 1.2: both directions' keys from the master secret and the randoms. */
bool sl_tls12_derive(const sl_tls_suite *s, const uint8_t *master, size_t master_len,
                     const uint8_t client_random[SL_TLS_RANDOM_LEN],
                     const uint8_t server_random[SL_TLS_RANDOM_LEN], sl_tls_cipher *client,
                     sl_tls_cipher *server);
/* TLS 1.3: one direction's key and iv from a traffic secret. */
bool sl_tls13_derive(const sl_tls_suite *s, const uint8_t *secret, size_t secret_len,
                     sl_tls_cipher *c);
/* TLS 1.3 KeyUpdate: the next traffic secret, its key and iv, sequence 0. */
bool sl_tls13_key_update(sl_tls_cipher *c);

/* Decrypts one protected record (hdr: its 5-byte header; body[0..n)) into
 * out (room for n bytes). TLS 1.3: strips the padding and returns the inner
 * content type in *type; TLS 1.2: *type is the header's. On success the
 * sequence number moves on. False when the record fails authentication
 * (or is too short for the suite): nothing is changed. ctx is scratch. */
bool sl_tls_decrypt(sl_tls_cipher *c, void *ctx, const uint8_t hdr[SL_TLS_RECORD_HEADER],
                    const uint8_t *body, size_t n, uint8_t *out, size_t *out_len, uint8_t *type);

/* A scratch EVP_CIPHER_CTX for sl_tls_decrypt (void *: no OpenSSL in this
 * header's users). */
void *sl_tls_ctx_new(void);
void sl_tls_ctx_free(void *ctx);

/* Wipes the key material. */
void sl_tls_cipher_clear(sl_tls_cipher *c);

#endif
