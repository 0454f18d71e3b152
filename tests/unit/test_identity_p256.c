/* ECDSA P-256 with a key table (sipsleuth/p256_table.h) decides every
 * signature as EVP_PKEY_verify does: good ones, tampered ones, another
 * digest, and r or s at and around the edges of [1, n-1]. And the verifier
 * builds a key's table after SL_VERIFY_TABLE_AFTER checks, and no more
 * than SL_VERIFY_MAX_TABLES of them. */
#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <string.h>

#include "sipsleuth/p256_table.h"
#include "sipsleuth/verify.h"

static void sign_raw(EVP_PKEY *key, const uint8_t digest[32], uint8_t raw[64])
{
    uint8_t der[80];
    size_t n = sizeof der;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    cr_assert(ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_sign(ctx, der, &n, digest, 32) == 1);
    EVP_PKEY_CTX_free(ctx);
    const uint8_t *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    cr_assert(es);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
    ECDSA_SIG_free(es);
}

/* OpenSSL's verdict on raw r||s: 1 verifies, 0 does not. */
static int evp_verdict(EVP_PKEY *key, const uint8_t digest[32], const uint8_t raw[64])
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    cr_assert(es && ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)));
    uint8_t *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    cr_assert_gt(n, 0);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    cr_assert(ctx && EVP_PKEY_verify_init(ctx) == 1);
    int r = EVP_PKEY_verify(ctx, der, (size_t)n, digest, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    return r;
}

static void agree(sl_p256_table *t, EVP_PKEY *key, const uint8_t digest[32], const uint8_t raw[64])
{
    cr_assert_eq(sl_p256_table_verify(t, digest, raw), evp_verdict(key, digest, raw));
}

Test(p256_table, decides_as_evp)
{
    for (int k = 0; k < 3; k++) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        sl_p256_table *t = sl_p256_table_new(key);
        cr_assert(t);
        for (int i = 0; i < 40; i++) {
            uint8_t digest[32], raw[64], other[32];
            cr_assert(RAND_bytes(digest, 32) == 1 && RAND_bytes(other, 32) == 1);
            sign_raw(key, digest, raw);
            cr_assert_eq(sl_p256_table_verify(t, digest, raw), 1);
            agree(t, key, other, raw);
            raw[i % 64] ^= (uint8_t)(1u << (i % 8));
            agree(t, key, digest, raw);
        }
        sl_p256_table_free(t);
        EVP_PKEY_free(key);
    }
}

/* r or s of 0, n-1, n, n+1 and all ones, with the other half valid. */
Test(p256_table, edges_of_r_and_s)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    sl_p256_table *t = sl_p256_table_new(key);
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    cr_assert(t && g);
    uint8_t digest[32] = {1, 2, 3}, raw[64];
    sign_raw(key, digest, raw);
    const BIGNUM *n = EC_GROUP_get0_order(g);
    BIGNUM *v = BN_new();
    const int deltas[] = {-1, 0, 1};
    for (int half = 0; half < 2; half++) {
        uint8_t edge[64];
        memcpy(edge, raw, 64);
        memset(edge + 32 * half, 0, 32);
        agree(t, key, digest, edge);
        memset(edge + 32 * half, 0xff, 32);
        agree(t, key, digest, edge);
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
            BN_copy(v, n);
            cr_assert(deltas[d] < 0 ? BN_sub_word(v, 1) : BN_add_word(v, (BN_ULONG)deltas[d]));
            cr_assert_eq(BN_bn2binpad(v, edge + 32 * half, 32), 32);
            agree(t, key, digest, edge);
        }
    }
    BN_free(v);
    EC_GROUP_free(g);
    sl_p256_table_free(t);
    EVP_PKEY_free(key);
}

Test(p256_table, only_for_named_p256_keys)
{
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    cr_assert(p384 && ed && rsa);
    cr_assert_null(sl_p256_table_new(p384));
    cr_assert_null(sl_p256_table_new(ed));
    cr_assert_null(sl_p256_table_new(rsa));
    EVP_PKEY_free(p384);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(rsa);
}

/* Distinct checks (another fingerprint each: no cache hit) until the table
 * is built; the verdicts stay right before and after. */
static void checks(sl_verifier *v, sl_verify_key *k, int count, const uint8_t *msg, size_t n,
                   const uint8_t raw[64], sl_sig_result want)
{
    static uint32_t serial;
    for (int i = 0; i < count; i++) {
        uint8_t fp[32] = {0};
        serial++;
        memcpy(fp, &serial, sizeof serial);
        cr_assert_eq(sl_verifier_check(v, k, true, fp, msg, n, raw, 64), want);
    }
}

static void sign_msg(EVP_PKEY *key, const uint8_t *msg, size_t n, uint8_t raw[64])
{
    uint8_t digest[32];
    cr_assert(EVP_Digest(msg, n, digest, NULL, EVP_sha256(), NULL) == 1);
    sign_raw(key, digest, raw);
}

Test(p256_table, verifier_builds_tables_for_busy_keys)
{
    static const uint8_t MSG[] = "eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9";
    size_t n = sizeof MSG - 1;
    sl_verifier *v = sl_verifier_new(16);
    size_t empty = sl_verifier_memory(v);
    EVP_PKEY *keys[SL_VERIFY_MAX_TABLES + 1];
    sl_verify_key k[SL_VERIFY_MAX_TABLES + 1];
    for (int i = 0; i <= SL_VERIFY_MAX_TABLES; i++) {
        uint8_t raw[64];
        keys[i] = EVP_EC_gen("P-256");
        sl_verify_key_init(&k[i], keys[i]);
        sign_msg(keys[i], MSG, n, raw);
        checks(v, &k[i], SL_VERIFY_TABLE_AFTER - 1, MSG, n, raw, SL_SIG_OK);
        cr_assert_null(k[i].table);
        checks(v, &k[i], 2, MSG, n, raw, SL_SIG_OK);
        cr_assert_eq(k[i].table != NULL, i < SL_VERIFY_MAX_TABLES);
        checks(v, &k[i], 2, MSG, n - 1, raw, SL_SIG_BAD);
        raw[7] ^= 4;
        checks(v, &k[i], 2, MSG, n, raw, SL_SIG_BAD);
    }
    cr_assert_eq(sl_verifier_memory(v), empty + SL_VERIFY_MAX_TABLES * SL_P256_TABLE_BYTES);
    for (int i = 0; i <= SL_VERIFY_MAX_TABLES; i++) {
        sl_verify_key_clear(&k[i]);
        EVP_PKEY_free(keys[i]);
    }
    sl_verifier_free(v);
}
