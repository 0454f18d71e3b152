/* Signature checks with OpenSSL 3 EVP, and their cache. */
#include "sipsleuth/identity.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <stdlib.h>

static bool looks_der(const uint8_t *sig, size_t n)
{
    /* SEQUENCE { INTEGER r, INTEGER s }: 0x30, length, 0x02 ... */
    return n >= 8 && n <= 72 && sig[0] == 0x30 && sig[1] == n - 2 && sig[2] == 0x02;
}

static bool digest_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t n,
                          const uint8_t *sig, size_t sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

sl_sig_result sl_verify_es256(EVP_PKEY *key, const uint8_t *msg, size_t n, const uint8_t *sig,
                              size_t sig_len)
{
    if (EVP_PKEY_base_id(key) != EVP_PKEY_EC)
        return SL_SIG_KEY;
    if (sig_len != 64)
        return looks_der(sig, sig_len) ? SL_SIG_DER : SL_SIG_BAD_SIZE;
    /* JWS carries raw r||s (RFC 7518 §3.4); OpenSSL verifies DER. */
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return SL_SIG_BAD;
    }
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    bool ok = der_len > 0 && digest_verify(key, EVP_sha256(), msg, n, der, (size_t)der_len);
    OPENSSL_free(der);
    return ok ? SL_SIG_OK : SL_SIG_BAD;
}

sl_sig_result sl_verify_rsa_sha1(EVP_PKEY *key, const uint8_t *msg, size_t n, const uint8_t *sig,
                                 size_t sig_len)
{
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
        return SL_SIG_KEY;
    return digest_verify(key, EVP_sha1(), msg, n, sig, sig_len) ? SL_SIG_OK : SL_SIG_BAD;
}

typedef struct slot {
    uint8_t key[32];
    uint8_t result; /* sl_sig_result + 1; 0 = empty */
} slot;

struct sl_verify_cache {
    slot *slots;
    size_t n;
    uint64_t hits, misses;
};

sl_verify_cache *sl_verify_cache_new(size_t slots)
{
    sl_verify_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = slots ? slots : 1;
    c->slots = calloc(c->n, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    return c;
}

void sl_verify_cache_free(sl_verify_cache *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c);
}

void sl_verify_cache_key(const uint8_t *msg, size_t n, const uint8_t *sig, size_t sig_len,
                         const uint8_t fingerprint[32], uint8_t key[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned len = 32;
    uint8_t lens[16];
    for (int i = 0; i < 8; i++) {
        lens[i] = (uint8_t)((uint64_t)n >> (8 * i));
        lens[8 + i] = (uint8_t)((uint64_t)sig_len >> (8 * i));
    }
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(ctx, lens, sizeof lens) || !EVP_DigestUpdate(ctx, msg, n) ||
        !EVP_DigestUpdate(ctx, sig, sig_len) || !EVP_DigestUpdate(ctx, fingerprint, 32) ||
        !EVP_DigestFinal_ex(ctx, key, &len))
        memset(key, 0, 32); /* an all-zero key is never stored */
    EVP_MD_CTX_free(ctx);
}

static slot *slot_for(const sl_verify_cache *c, const uint8_t key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return &c->slots[h % c->n];
}

static bool zero_key(const uint8_t key[32])
{
    for (int i = 0; i < 32; i++)
        if (key[i])
            return false;
    return true;
}

bool sl_verify_cache_get(const sl_verify_cache *c, const uint8_t key[32], sl_sig_result *out)
{
    sl_verify_cache *mc = (sl_verify_cache *)c;
    slot *s = slot_for(c, key);
    if (s->result && memcmp(s->key, key, 32) == 0 && !zero_key(key)) {
        *out = (sl_sig_result)(s->result - 1);
        mc->hits++;
        return true;
    }
    mc->misses++;
    return false;
}

void sl_verify_cache_put(sl_verify_cache *c, const uint8_t key[32], sl_sig_result r)
{
    if (zero_key(key))
        return;
    slot *s = slot_for(c, key);
    memcpy(s->key, key, 32);
    s->result = (uint8_t)(r + 1);
}

size_t sl_verify_cache_memory(const sl_verify_cache *c)
{
    return sizeof *c + c->n * sizeof *c->slots;
}

void sl_verify_cache_stats(const sl_verify_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c->hits;
    *misses = c->misses;
}
