/* Signature checks (ES256 raw r||s, the DER interop bug, RFC 4474 rsa-sha1),
 * the verification cache, and the certificate store: PEM/DER loading, the
 * --cert-dir naming, validity judged at a given time, trust anchors. Keys
 * and certificates are made here with OpenSSL. */
#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sipsleuth/identity.h"

static const uint8_t MSG[] = "eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9";

static size_t sign(EVP_PKEY *key, const EVP_MD *md, uint8_t *sig, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = cap;
    cr_assert(EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1);
    cr_assert(EVP_DigestSign(ctx, sig, &n, MSG, sizeof MSG - 1) == 1);
    EVP_MD_CTX_free(ctx);
    return n;
}

static void der_to_raw(const uint8_t *der, size_t n, uint8_t raw[64])
{
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)n);
    cr_assert(es);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
    ECDSA_SIG_free(es);
}

Test(verify, es256_raw_der_and_tampering)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    uint8_t der[80], raw[64];
    size_t n = sign(key, EVP_sha256(), der, sizeof der);
    der_to_raw(der, n, raw);
    cr_assert_eq(sl_verify_es256(key, MSG, sizeof MSG - 1, raw, 64), SL_SIG_OK);
    cr_assert_eq(sl_verify_es256(key, MSG, sizeof MSG - 1, der, n), SL_SIG_DER);
    cr_assert_eq(sl_verify_es256(key, MSG, sizeof MSG - 1, raw, 10), SL_SIG_BAD_SIZE);
    raw[5] ^= 1;
    cr_assert_eq(sl_verify_es256(key, MSG, sizeof MSG - 1, raw, 64), SL_SIG_BAD);
    raw[5] ^= 1;
    cr_assert_eq(sl_verify_es256(key, MSG, sizeof MSG - 2, raw, 64), SL_SIG_BAD);
    cr_assert_eq(sl_verify_rsa_sha1(key, MSG, sizeof MSG - 1, raw, 64), SL_SIG_KEY);
    EVP_PKEY_free(key);
}

Test(verify, rsa_sha1)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    uint8_t sig[256];
    size_t n = sign(key, EVP_sha1(), sig, sizeof sig);
    cr_assert_eq(sl_verify_rsa_sha1(key, MSG, sizeof MSG - 1, sig, n), SL_SIG_OK);
    sig[0] ^= 0x80;
    cr_assert_eq(sl_verify_rsa_sha1(key, MSG, sizeof MSG - 1, sig, n), SL_SIG_BAD);
    cr_assert_eq(sl_verify_es256(key, MSG, sizeof MSG - 1, sig, 64), SL_SIG_KEY);
    EVP_PKEY_free(key);
}

Test(verify, cache)
{
    sl_verify_cache *c = sl_verify_cache_new(16);
    uint8_t fp[32] = {1}, k1[32], k2[32];
    sl_verify_cache_key(MSG, 5, MSG, 3, fp, k1);
    sl_verify_cache_key(MSG, 5, MSG + 1, 3, fp, k2);
    sl_sig_result r;
    cr_assert_not(sl_verify_cache_get(c, k1, &r));
    sl_verify_cache_put(c, k1, SL_SIG_DER);
    cr_assert(sl_verify_cache_get(c, k1, &r));
    cr_assert_eq(r, SL_SIG_DER);
    cr_assert_not(sl_verify_cache_get(c, k2, &r));
    uint64_t hits, misses;
    sl_verify_cache_stats(c, &hits, &misses);
    cr_assert_eq(hits, 1);
    cr_assert_eq(misses, 2);
    sl_verify_cache_free(c);
}

/* A certificate valid [from, to] (Unix seconds) for key, signed by
 * issuer_key (self-signed when NULL). */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *issuer_key, const char *cn, time_t from, time_t to)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &from);
    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &to);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (strcmp(cn, "ca") == 0) {
        X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                                                 "critical,CA:TRUE");
        X509_add_ext(x, bc, -1);
        X509_EXTENSION_free(bc);
    }
    cr_assert(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void write_pem(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    PEM_write_X509(f, x);
    fclose(f);
}

Test(certstore, load_find_and_check_at_a_time)
{
    char dir[] = "/tmp/sl-certstore-XXXXXX";
    cr_assert(mkdtemp(dir));
    char pem[300], der[300], cached[300], err[256];
    snprintf(pem, sizeof pem, "%s/leaf.pem", dir);
    snprintf(der, sizeof der, "%s/leaf.der", dir);
    snprintf(cached, sizeof cached, "%s/https_c.example_d_leaf.pem", dir);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = make_cert(key, NULL, "leaf", 1577836800, 1580515200); /* Jan 2020 */
    write_pem(pem, x);
    write_pem(cached, x);
    FILE *f = fopen(der, "wb");
    i2d_X509_fp(f, x);
    fclose(f);

    sl_certstore *cs = sl_certstore_new();
    cr_assert(sl_certstore_add_file(cs, "https://a/pem", pem, err, sizeof err), "%s", err);
    cr_assert(sl_certstore_add_file(cs, "https://a/der", der, err, sizeof err), "%s", err);
    cr_assert_not(sl_certstore_add_file(cs, "https://a/x", "/nonexistent", err, sizeof err));
    cr_assert(sl_certstore_set_dir(cs, dir, err, sizeof err));
    const sl_cert_entry *e = sl_certstore_find(cs, SL_SLICE_LIT("https://a/pem"));
    cr_assert(e && e->key && !e->has_tnauthlist);
    cr_assert(sl_certstore_find(cs, SL_SLICE_LIT("https://a/der")));
    cr_assert(sl_certstore_find(cs, SL_SLICE_LIT("https://c.example/d/leaf.pem")));
    cr_assert_null(sl_certstore_find(cs, SL_SLICE_LIT("https://unknown/x.pem")));
    cr_assert_null(sl_certstore_find(cs, SL_SLICE_LIT("https://unknown/x.pem")));

    char detail[128];
    cr_assert_eq(sl_certstore_check(cs, e, 1579046400, detail, sizeof detail), SL_CERT_OK);
    cr_assert_eq(sl_certstore_check(cs, e, 1600000000, detail, sizeof detail), SL_CERT_EXPIRED);
    cr_assert_eq(sl_certstore_check(cs, e, 1500000000, detail, sizeof detail), SL_CERT_EXPIRED);

    /* With an anchor: the leaf signed by it is trusted, another is not. */
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    X509 *ca = make_cert(ca_key, NULL, "ca", 1500000000, 2000000000);
    char ca_path[300], a_path[300];
    snprintf(ca_path, sizeof ca_path, "%s/ca.pem", dir);
    snprintf(a_path, sizeof a_path, "%s/anchored.pem", dir);
    write_pem(ca_path, ca);
    X509 *anchored = make_cert(other, ca_key, "anchored", 1500000000, 2000000000);
    X509_set_issuer_name(anchored, X509_get_subject_name(ca));
    X509_sign(anchored, ca_key, EVP_sha256());
    write_pem(a_path, anchored);
    cr_assert(sl_certstore_add_file(cs, "https://a/anchored", a_path, err, sizeof err));
    cr_assert(sl_certstore_add_trust(cs, ca_path, err, sizeof err));
    cr_assert(sl_certstore_has_trust(cs));
    const sl_cert_entry *a = sl_certstore_find(cs, SL_SLICE_LIT("https://a/anchored"));
    cr_assert_eq(sl_certstore_check(cs, a, 1700000000, detail, sizeof detail), SL_CERT_OK, "%s",
                 detail);
    cr_assert_eq(sl_certstore_check(cs, e, 1579046400, detail, sizeof detail), SL_CERT_UNTRUSTED);

    char name[64];
    sl_certstore_dir_name(SL_SLICE_LIT("https://certs.example.org/sp.pem"), name, sizeof name);
    cr_assert_str_eq(name, "https_certs.example.org_sp.pem");

    sl_certstore_free(cs);
    X509_free(x);
    X509_free(ca);
    X509_free(anchored);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other);
    const char *files[] = {pem, der, cached, ca_path, a_path};
    for (size_t i = 0; i < 5; i++)
        unlink(files[i]);
    rmdir(dir);
}
