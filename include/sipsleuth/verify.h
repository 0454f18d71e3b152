/* Signature checks with OpenSSL 3 (src/identity/verify.c): ES256 (raw
 * r||s, RFC 7518 §3.4) and RFC 4474 rsa-sha1, and the cache of their
 * results. Everything OpenSSL looks up by name is looked up once: the
 * digests are fetched when the verifier is made, each key's verify
 * operation is set up when its certificate is loaded. */
#ifndef SIPSLEUTH_VERIFY_H
#define SIPSLEUTH_VERIFY_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sl_sig_result {
    SL_SIG_OK,
    SL_SIG_BAD,      /* does not verify */
    SL_SIG_DER,      /* ES256 signature DER-encoded instead of raw r||s */
    SL_SIG_BAD_SIZE, /* neither 64 bytes nor DER */
    SL_SIG_KEY,      /* the certificate's key does not fit the algorithm */
} sl_sig_result;

/* A public key with its verify operation ready: ECDSA over a SHA-256
 * digest for an EC key, RSA PKCS#1 v1.5 over a SHA-1 digest for an RSA key. */
typedef struct sl_verify_key {
    EVP_PKEY_CTX *ctx; /* NULL: another key type, or OpenSSL could not set it up */
    int type;          /* EVP_PKEY_EC, EVP_PKEY_RSA or another type */
    EVP_PKEY *pkey;
} sl_verify_key;

/* Sets up k for pkey (which must outlive it). When OpenSSL cannot set the
 * operation up, ctx stays NULL and no signature verifies with k. */
void sl_verify_key_init(sl_verify_key *k, EVP_PKEY *pkey);
void sl_verify_key_clear(sl_verify_key *k);

/* Hashes, checks and caches signatures; one per analyzer. */
typedef struct sl_verifier sl_verifier;

/* cache_slots: results remembered (a fixed table, the newest wins a slot). */
sl_verifier *sl_verifier_new(size_t cache_slots);
void sl_verifier_free(sl_verifier *v);

/* ES256 or rsa-sha1 (chosen by the key's type) of sig over msg. The result
 * of a (msg, sig, certificate fingerprint) checked before comes from the
 * cache, so retransmissions and further legs cost two hashes. */
sl_sig_result sl_verifier_check(sl_verifier *v, sl_verify_key *k, bool es256,
                                const uint8_t fingerprint[32], const uint8_t *msg, size_t n,
                                const uint8_t *sig, size_t sig_len);

/* The shape of an ES256 signature, judged without a key: SL_SIG_OK when it
 * is 64 bytes (raw r||s), else SL_SIG_DER or SL_SIG_BAD_SIZE. */
sl_sig_result sl_es256_sig_shape(const uint8_t *sig, size_t sig_len);

/* Signatures checked with OpenSSL, and results found in the cache. */
void sl_verifier_stats(const sl_verifier *v, uint64_t *checked, uint64_t *cache_hits);
/* The cache. */
size_t sl_verifier_memory(const sl_verifier *v);

#endif
