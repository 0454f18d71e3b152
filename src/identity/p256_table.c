/* ECDSA P-256 verification with a precomputed table for the public key.
 * The table is OpenSSL's own: a copy of the P-256 group whose generator is
 * Q, given EC_GROUP_precompute_mult; EC_POINT_mul on that group then takes
 * Q's multiples from the table as it takes G's from the built-in one.
 * EC_GROUP_precompute_mult is deprecated since OpenSSL 3.0 with nothing to
 * replace it; where it is gone, sl_p256_table_new returns NULL and every
 * signature goes through EVP_PKEY_verify. */
#define OPENSSL_SUPPRESS_DEPRECATED /* EC_GROUP_precompute_mult */

#include "sipsleuth/p256_table.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <stdlib.h>

struct sl_p256_table {
    EC_GROUP *g; /* P-256 */
    EC_GROUP *q; /* P-256 with Q as generator, precomputed */
    const BIGNUM *n;
    EC_POINT *r1, *r2;
    BIGNUM *r, *s, *e, *w, *u1, *u2, *x;
    BN_CTX *bn;
};

void sl_p256_table_free(sl_p256_table *t)
{
    if (!t)
        return;
    EC_POINT_free(t->r1);
    EC_POINT_free(t->r2);
    BIGNUM *bns[] = {t->r, t->s, t->e, t->w, t->u1, t->u2, t->x};
    for (size_t i = 0; i < sizeof bns / sizeof bns[0]; i++)
        BN_free(bns[i]);
    BN_CTX_free(t->bn);
    EC_GROUP_free(t->q);
    EC_GROUP_free(t->g);
    free(t);
}

static bool is_named_p256(EVP_PKEY *pkey)
{
    char name[64];
    return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
           EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                          NULL) == 1 &&
           OBJ_sn2nid(name) == NID_X9_62_prime256v1;
}

static bool precompute(EC_GROUP *q, BN_CTX *bn)
{
#ifdef OPENSSL_NO_DEPRECATED_3_0
    (void)q;
    (void)bn;
    return false;
#else
    return EC_GROUP_precompute_mult(q, bn) == 1;
#endif
}

/* The group with Q = pkey's public point as generator, its table built. */
static EC_GROUP *group_of_key(const EC_GROUP *g, EVP_PKEY *pkey, BN_CTX *bn)
{
    uint8_t oct[133];
    size_t len;
    EC_GROUP *q = EC_GROUP_dup(g);
    EC_POINT *pub = EC_POINT_new(g);
    bool ok =
        q && pub &&
        EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof oct, &len) ==
            1 &&
        EC_POINT_oct2point(g, pub, oct, len, bn) == 1 &&
        EC_GROUP_set_generator(q, pub, EC_GROUP_get0_order(g), EC_GROUP_get0_cofactor(g)) == 1 &&
        precompute(q, bn);
    EC_POINT_free(pub);
    if (ok)
        return q;
    EC_GROUP_free(q);
    return NULL;
}

sl_p256_table *sl_p256_table_new(EVP_PKEY *pkey)
{
    if (!is_named_p256(pkey)) {
        ERR_clear_error();
        return NULL;
    }
    sl_p256_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->bn = BN_CTX_new();
    t->g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    t->q = t->bn && t->g ? group_of_key(t->g, pkey, t->bn) : NULL;
    if (t->q) {
        t->n = EC_GROUP_get0_order(t->g);
        t->r1 = EC_POINT_new(t->g);
        t->r2 = EC_POINT_new(t->g);
    }
    BIGNUM **bns[] = {&t->r, &t->s, &t->e, &t->w, &t->u1, &t->u2, &t->x};
    bool ok = t->q && t->r1 && t->r2;
    for (size_t i = 0; i < sizeof bns / sizeof bns[0]; i++)
        ok = (*bns[i] = BN_new()) != NULL && ok;
    ERR_clear_error();
    if (ok)
        return t;
    sl_p256_table_free(t);
    return NULL;
}

/* 1 <= x < n */
static bool in_range(const BIGNUM *x, const BIGNUM *n)
{
    return !BN_is_zero(x) && BN_cmp(x, n) < 0;
}

/* u1 = e/s and u2 = r/s mod n; false when OpenSSL failed. */
static bool scalars(sl_p256_table *t)
{
    return BN_mod_inverse(t->w, t->s, t->n, t->bn) &&
           BN_mod_mul(t->u1, t->e, t->w, t->n, t->bn) == 1 &&
           BN_mod_mul(t->u2, t->r, t->w, t->n, t->bn) == 1;
}

/* r1 = u1*G + u2*Q, each from its table; false when OpenSSL failed. */
static bool combination(sl_p256_table *t)
{
    return EC_POINT_mul(t->g, t->r1, t->u1, NULL, NULL, t->bn) == 1 &&
           EC_POINT_mul(t->q, t->r2, t->u2, NULL, NULL, t->bn) == 1 &&
           EC_POINT_add(t->g, t->r1, t->r1, t->r2, t->bn) == 1;
}

static int check(sl_p256_table *t, const uint8_t digest[32], const uint8_t raw[64])
{
    if (!BN_bin2bn(raw, 32, t->r) || !BN_bin2bn(raw + 32, 32, t->s) || !BN_bin2bn(digest, 32, t->e))
        return -1;
    if (!in_range(t->r, t->n) || !in_range(t->s, t->n))
        return 0;
    if (!scalars(t) || !combination(t))
        return -1;
    if (EC_POINT_is_at_infinity(t->g, t->r1))
        return 0;
    if (EC_POINT_get_affine_coordinates(t->g, t->r1, t->x, NULL, t->bn) != 1 ||
        BN_nnmod(t->x, t->x, t->n, t->bn) != 1)
        return -1;
    return BN_cmp(t->x, t->r) == 0;
}

int sl_p256_table_verify(sl_p256_table *t, const uint8_t digest[32], const uint8_t raw[64])
{
    int r = check(t, digest, raw);
    ERR_clear_error();
    return r;
}
