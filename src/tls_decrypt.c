/* TLS record decryption: see include/sipsleuth/tls_decrypt.h. */
#include "sipsleuth/tls_decrypt.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

static const sl_tls_suite suites[] = {
    /* TLS 1.3 (RFC 8446 B.4) */
    {"AES-128-GCM", "SHA256", 0x1301, true, 16, 12, 16, false, false},
    {"AES-256-GCM", "SHA384", 0x1302, true, 32, 12, 16, false, false},
    {"ChaCha20-Poly1305", "SHA256", 0x1303, true, 32, 12, 16, false, false},
    {"AES-128-CCM", "SHA256", 0x1304, true, 16, 12, 16, false, true},
    {"AES-128-CCM", "SHA256", 0x1305, true, 16, 12, 8, false, true},
    /* TLS 1.2 AES-GCM (RFC 5288, RFC 5289): RSA, DHE-RSA, ECDHE-ECDSA, ECDHE-RSA */
    {"AES-128-GCM", "SHA256", 0x009C, false, 16, 4, 16, true, false},
    {"AES-256-GCM", "SHA384", 0x009D, false, 32, 4, 16, true, false},
    {"AES-128-GCM", "SHA256", 0x009E, false, 16, 4, 16, true, false},
    {"AES-256-GCM", "SHA384", 0x009F, false, 32, 4, 16, true, false},
    {"AES-128-GCM", "SHA256", 0xC02B, false, 16, 4, 16, true, false},
    {"AES-256-GCM", "SHA384", 0xC02C, false, 32, 4, 16, true, false},
    {"AES-128-GCM", "SHA256", 0xC02F, false, 16, 4, 16, true, false},
    {"AES-256-GCM", "SHA384", 0xC030, false, 32, 4, 16, true, false},
    /* TLS 1.2 ChaCha20-Poly1305 (RFC 7905): ECDHE-RSA, ECDHE-ECDSA, DHE-RSA */
    {"ChaCha20-Poly1305", "SHA256", 0xCCA8, false, 32, 12, 16, false, false},
    {"ChaCha20-Poly1305", "SHA256", 0xCCA9, false, 32, 12, 16, false, false},
    {"ChaCha20-Poly1305", "SHA256", 0xCCAA, false, 32, 12, 16, false, false},
};

const sl_tls_suite *sl_tls_suite_find(uint16_t id, uint16_t version)
{
    bool tls13 = version == SL_TLS_VERSION_1_3;
    if (!tls13 && version != SL_TLS_VERSION_1_2)
        return NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == id && suites[i].tls13 == tls13)
            return &suites[i];
    return NULL;
}

static size_t digest_len(const sl_tls_suite *s)
{
    return strcmp(s->digest, "SHA384") == 0 ? 48 : 32;
}

static bool kdf(const char *name, OSSL_PARAM *params, uint8_t *out, size_t n)
{
    EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
    if (!k)
        return false;
    EVP_KDF_CTX *kc = EVP_KDF_CTX_new(k);
    EVP_KDF_free(k);
    if (!kc)
        return false;
    bool ok = EVP_KDF_derive(kc, out, n, params) > 0;
    EVP_KDF_CTX_free(kc);
    return ok;
}

bool sl_tls12_derive(const sl_tls_suite *s, const uint8_t *master, size_t master_len,
                     const uint8_t client_random[SL_TLS_RANDOM_LEN],
                     const uint8_t server_random[SL_TLS_RANDOM_LEN], sl_tls_cipher *client,
                     sl_tls_cipher *server)
{
    static const char label[] = "key expansion";
    uint8_t seed[sizeof label - 1 + (size_t)2 * SL_TLS_RANDOM_LEN];
    memcpy(seed, label, sizeof label - 1);
    memcpy(seed + sizeof label - 1, server_random, SL_TLS_RANDOM_LEN);
    memcpy(seed + sizeof label - 1 + SL_TLS_RANDOM_LEN, client_random, SL_TLS_RANDOM_LEN);
    /* AEAD suites have no MAC keys: client key, server key, client IV, server IV */
    uint8_t block[2 * 32 + 2 * 12];
    size_t k = s->key_len, iv = s->fixed_iv_len;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)s->digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, master_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
        OSSL_PARAM_construct_end()};
    if (!kdf(OSSL_KDF_NAME_TLS1_PRF, params, block, 2 * k + 2 * iv))
        return false;
    memset(client, 0, sizeof *client);
    memset(server, 0, sizeof *server);
    client->suite = server->suite = s;
    memcpy(client->key, block, k);
    memcpy(server->key, block + k, k);
    memcpy(client->iv, block + 2 * k, iv);
    memcpy(server->iv, block + 2 * k + iv, iv);
    client->ready = server->ready = true;
    OPENSSL_cleanse(block, sizeof block);
    return true;
}

/* HKDF-Expand-Label(secret, label, "", n) (RFC 8446 7.1). */
static bool expand_label(const sl_tls_suite *s, const uint8_t *secret, size_t secret_len,
                         const char *label, uint8_t *out, size_t n)
{
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    static const char prefix[] = "tls13 ";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)s->digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)prefix, sizeof prefix - 1),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label, strlen(label)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, (void *)"", 0),
        OSSL_PARAM_construct_end()};
    return kdf(OSSL_KDF_NAME_TLS1_3_KDF, params, out, n);
}

bool sl_tls13_derive(const sl_tls_suite *s, const uint8_t *secret, size_t secret_len,
                     sl_tls_cipher *c)
{
    memset(c, 0, sizeof *c);
    if (secret_len != digest_len(s) || secret_len > sizeof c->secret)
        return false;
    c->suite = s;
    if (!expand_label(s, secret, secret_len, "key", c->key, s->key_len) ||
        !expand_label(s, secret, secret_len, "iv", c->iv, 12)) {
        sl_tls_cipher_clear(c);
        return false;
    }
    memcpy(c->secret, secret, secret_len);
    c->secret_len = (uint8_t)secret_len;
    c->ready = true;
    return true;
}

bool sl_tls13_key_update(sl_tls_cipher *c)
{
    uint8_t next[SL_TLS_MAX_SECRET];
    const sl_tls_suite *s = c->suite;
    size_t n = c->secret_len;
    if (!s || !s->tls13 || !expand_label(s, c->secret, n, "traffic upd", next, n))
        return false;
    bool ok = sl_tls13_derive(s, next, n, c);
    OPENSSL_cleanse(next, sizeof next);
    return ok;
}

void *sl_tls_ctx_new(void)
{
    return EVP_CIPHER_CTX_new();
}

void sl_tls_ctx_free(void *ctx)
{
    EVP_CIPHER_CTX_free(ctx);
}

static const EVP_CIPHER *cipher_of(const sl_tls_suite *s)
{
    return EVP_get_cipherbyname(s->cipher);
}

/* AEAD decryption of ct[0..n) with its tag; out gets n bytes. */
static bool aead_open(EVP_CIPHER_CTX *ctx, const sl_tls_suite *s, const uint8_t *key,
                      const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                      const uint8_t *ct, size_t n, const uint8_t *tag, uint8_t *out)
{
    const EVP_CIPHER *ciph = cipher_of(s);
    int len = 0;
    if (!ciph || n > INT32_MAX || EVP_DecryptInit_ex(ctx, ciph, NULL, NULL, NULL) <= 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) <= 0)
        return false;
    if (s->ccm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, (void *)tag) <= 0)
        return false;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) <= 0)
        return false;
    if (s->ccm && EVP_DecryptUpdate(ctx, NULL, &len, NULL, (int)n) <= 0)
        return false;
    if (EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) <= 0)
        return false;
    /* CCM authenticates in this call; an empty plaintext needs no output */
    if ((n > 0 || s->ccm) && EVP_DecryptUpdate(ctx, out, &len, ct, (int)n) <= 0)
        return false;
    if (s->ccm)
        return true;
    int fin = 0;
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, (void *)tag) > 0 &&
           EVP_DecryptFinal_ex(ctx, out + len, &fin) > 0;
}

static void nonce_xor_seq(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

bool sl_tls_decrypt(sl_tls_cipher *c, void *ctx, const uint8_t hdr[SL_TLS_RECORD_HEADER],
                    const uint8_t *body, size_t n, uint8_t *out, size_t *out_len, uint8_t *type)
{
    const sl_tls_suite *s = c->suite;
    if (!c->ready || !s)
        return false;
    size_t lead = s->explicit_nonce ? 8 : 0;
    if (n < lead + s->tag_len)
        return false;
    size_t ct_len = n - lead - s->tag_len;
    const uint8_t *ct = body + lead, *tag = body + n - s->tag_len;
    uint8_t nonce[12], aad[13];
    size_t aad_len;
    if (s->tls13) {
        nonce_xor_seq(nonce, c->iv, c->seq);
        memcpy(aad, hdr, SL_TLS_RECORD_HEADER); /* the record header as sent */
        aad_len = SL_TLS_RECORD_HEADER;
    } else {
        if (s->explicit_nonce) {
            memcpy(nonce, c->iv, 4);
            memcpy(nonce + 4, body, 8);
        } else {
            nonce_xor_seq(nonce, c->iv, c->seq);
        }
        /* seq_num + type + version + length of the plaintext (RFC 5246 6.2.3.3) */
        put64(aad, c->seq);
        aad[8] = hdr[0];
        aad[9] = hdr[1];
        aad[10] = hdr[2];
        aad[11] = (uint8_t)(ct_len >> 8);
        aad[12] = (uint8_t)ct_len;
        aad_len = 13;
    }
    if (!aead_open(ctx, s, c->key, nonce, aad, aad_len, ct, ct_len, tag, out))
        return false;
    c->seq++;
    if (!s->tls13) {
        *type = hdr[0];
        *out_len = ct_len;
        return true;
    }
    /* TLSInnerPlaintext: content, the type, then zero padding */
    size_t k = ct_len;
    while (k > 0 && out[k - 1] == 0)
        k--;
    if (k == 0)
        return false; /* no content type: a protocol violation (RFC 8446 5.4) */
    *type = out[k - 1];
    *out_len = k - 1;
    return true;
}

void sl_tls_cipher_clear(sl_tls_cipher *c)
{
    OPENSSL_cleanse(c, sizeof *c);
}
