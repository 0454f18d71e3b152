/* Signature checks with OpenSSL 3 EVP, and their cache. Nothing here looks
 * an algorithm up by name or allocates per signature: the digests are
 * fetched once, the digest context is kept, each key's verify operation is
 * set up once (sl_verify_key), and the ES256 signature is DER-encoded into a
 * stack buffer. The verification itself is OpenSSL's EVP_PKEY_verify. */
#include "sipsleuth/verify.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

void sl_verify_key_init(sl_verify_key *k, EVP_PKEY *pkey)
{
    k->ctx = NULL;
    k->pkey = pkey;
    k->type = EVP_PKEY_get_base_id(pkey);
    if (k->type != EVP_PKEY_EC && k->type != EVP_PKEY_RSA)
        return;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1;
    if (ok && k->type == EVP_PKEY_RSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) == 1;
    ERR_clear_error();
    if (ok)
        k->ctx = ctx;
    else
        EVP_PKEY_CTX_free(ctx);
}

void sl_verify_key_clear(sl_verify_key *k)
{
    EVP_PKEY_CTX_free(k->ctx);
    k->ctx = NULL;
}

/* The cache: sets of WAYS slots picked by the key; a new result replaces
 * the set's empty or least recently used slot, so a value repeated soon
 * after (another leg) is not lost to one that happens to share its set.
 * Not on lru_table: fixed slots, no allocation per signature, and this
 * per-set replacement decides the hits the stats count. */
#define WAYS 4

typedef struct slot {
    uint8_t key[32];
    uint64_t used;  /* v->clock when last stored or found */
    uint8_t result; /* sl_sig_result + 1; 0 = empty */
} slot;

struct sl_verifier {
    EVP_MD *sha256, *sha1;
    EVP_MD_CTX *md;
    slot *slots;
    size_t sets;
    uint64_t clock;
    uint64_t checked, hits;
};

sl_verifier *sl_verifier_new(size_t cache_slots)
{
    sl_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->sets = cache_slots / WAYS ? cache_slots / WAYS : 1;
    v->slots = calloc(v->sets * WAYS, sizeof *v->slots);
    v->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    v->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    v->md = EVP_MD_CTX_new();
    if (!v->slots || !v->sha256 || !v->sha1 || !v->md) {
        sl_verifier_free(v);
        return NULL;
    }
    return v;
}

void sl_verifier_free(sl_verifier *v)
{
    if (!v)
        return;
    EVP_MD_CTX_free(v->md);
    EVP_MD_free(v->sha256);
    EVP_MD_free(v->sha1);
    free(v->slots);
    free(v);
}

/* DER SEQUENCE { INTEGER r, INTEGER s } of raw r||s (32 bytes each), as
 * i2d_ECDSA_SIG writes it: minimal integers, a 0x00 before a high bit. */
static size_t der_integer(const uint8_t *be, size_t n, uint8_t *out)
{
    while (n > 1 && be[0] == 0) {
        be++;
        n--;
    }
    size_t pad = be[0] & 0x80 ? 1 : 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    out[2] = 0x00;
    memcpy(out + 2 + pad, be, n);
    return 2 + pad + n;
}

static size_t raw_to_der(const uint8_t raw[64], uint8_t der[72])
{
    size_t n = 2;
    n += der_integer(raw, 32, der + n);
    n += der_integer(raw + 32, 32, der + n);
    der[0] = 0x30;
    der[1] = (uint8_t)(n - 2);
    return n;
}

static bool looks_der(const uint8_t *sig, size_t n)
{
    /* SEQUENCE { INTEGER r, INTEGER s }: 0x30, length, 0x02 ... */
    return n >= 8 && n <= 72 && sig[0] == 0x30 && sig[1] == n - 2 && sig[2] == 0x02;
}

sl_sig_result sl_es256_sig_shape(const uint8_t *sig, size_t sig_len)
{
    if (sig_len == 64)
        return SL_SIG_OK;
    return looks_der(sig, sig_len) ? SL_SIG_DER : SL_SIG_BAD_SIZE;
}

static bool verify_with_evp(const sl_verify_key *k, const uint8_t digest[32], const uint8_t raw[64])
{
    uint8_t der[72];
    size_t der_len = raw_to_der(raw, der);
    bool ok = EVP_PKEY_verify(k->ctx, der, der_len, digest, 32) == 1;
    ERR_clear_error();
    return ok;
}

static sl_sig_result verify_es256(const sl_verify_key *k, const uint8_t *digest, const uint8_t *sig,
                                  size_t sig_len)
{
    if (k->type != EVP_PKEY_EC)
        return SL_SIG_KEY;
    if (sig_len != 64)
        return sl_es256_sig_shape(sig, sig_len);
    if (!digest || !k->ctx)
        return SL_SIG_BAD;
    return verify_with_evp(k, digest, sig) ? SL_SIG_OK : SL_SIG_BAD;
}

static sl_sig_result verify_rsa_sha1(const sl_verify_key *k, const uint8_t *digest,
                                     const uint8_t *sig, size_t sig_len)
{
    if (k->type != EVP_PKEY_RSA)
        return SL_SIG_KEY;
    bool ok = digest && k->ctx && EVP_PKEY_verify(k->ctx, sig, sig_len, digest, 20) == 1;
    ERR_clear_error();
    return ok ? SL_SIG_OK : SL_SIG_BAD;
}

typedef struct part {
    const uint8_t *p;
    size_t n;
} part;

static bool hash(sl_verifier *v, const EVP_MD *md, const part *parts, size_t n, uint8_t *out)
{
    if (EVP_DigestInit_ex2(v->md, md, NULL) != 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (EVP_DigestUpdate(v->md, parts[i].p, parts[i].n) != 1)
            return false;
    return EVP_DigestFinal_ex(v->md, out, NULL) == 1;
}

/* The verdict depends only on the message's digest, the signature and the
 * key, so: key = SHA-256(algorithm, sig length | digest | sig | fingerprint).
 * An all-zero key (hashing failed) is never stored. */
static void cache_key(sl_verifier *v, bool es256, const uint8_t *digest, const uint8_t *sig,
                      size_t sig_len, const uint8_t fingerprint[32], uint8_t key[32])
{
    uint8_t head[9] = {es256 ? 1 : 2};
    for (int i = 0; i < 8; i++)
        head[1 + i] = (uint8_t)((uint64_t)sig_len >> (8 * i));
    const part parts[] = {
        {head, sizeof head}, {digest, es256 ? 32 : 20}, {sig, sig_len}, {fingerprint, 32}};
    if (!hash(v, v->sha256, parts, sizeof parts / sizeof parts[0], key))
        memset(key, 0, 32);
}

static bool zero_key(const uint8_t key[32])
{
    for (int i = 0; i < 32; i++)
        if (key[i])
            return false;
    return true;
}

static slot *set_for(const sl_verifier *v, const uint8_t key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return &v->slots[h % v->sets * WAYS];
}

/* The slot holding key, else NULL with *victim the one to replace. */
static slot *find(const sl_verifier *v, const uint8_t key[32], slot **victim)
{
    slot *set = set_for(v, key);
    *victim = &set[0];
    for (int i = 0; i < WAYS; i++) {
        if (set[i].result && memcmp(set[i].key, key, 32) == 0)
            return &set[i];
        if (set[i].used < (*victim)->used) /* an empty slot's is 0 */
            *victim = &set[i];
    }
    return NULL;
}

sl_sig_result sl_verifier_check(sl_verifier *v, sl_verify_key *k, bool es256,
                                const uint8_t fingerprint[32], const uint8_t *msg, size_t n,
                                const uint8_t *sig, size_t sig_len)
{
    uint8_t digest[32] = {0}, key[32];
    const part whole = {msg, n};
    bool hashed = hash(v, es256 ? v->sha256 : v->sha1, &whole, 1, digest);
    if (hashed)
        cache_key(v, es256, digest, sig, sig_len, fingerprint, key);
    else
        memset(key, 0, sizeof key);
    slot *victim, *s = find(v, key, &victim);
    bool usable = !zero_key(key);
    if (usable && s) {
        s->used = ++v->clock;
        v->hits++;
        return (sl_sig_result)(s->result - 1);
    }
    v->checked++;
    const uint8_t *d = hashed ? digest : NULL; /* NULL: the signature cannot be checked */
    sl_sig_result r =
        es256 ? verify_es256(k, d, sig, sig_len) : verify_rsa_sha1(k, d, sig, sig_len);
    if (usable) {
        memcpy(victim->key, key, 32);
        victim->result = (uint8_t)(r + 1);
        victim->used = ++v->clock;
    }
    return r;
}

void sl_verifier_stats(const sl_verifier *v, uint64_t *checked, uint64_t *cache_hits)
{
    *checked = v->checked;
    *cache_hits = v->hits;
}

size_t sl_verifier_memory(const sl_verifier *v)
{
    return sizeof *v + v->sets * WAYS * sizeof *v->slots;
}
