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

/* One check with a fresh verifier (nothing cached) and key. */
static sl_sig_result check(EVP_PKEY *key, bool es256, size_t n, const uint8_t *sig, size_t sig_len)
{
    sl_verifier *v = sl_verifier_new(16);
    cr_assert(v);
    sl_verify_key k;
    sl_verify_key_init(&k, key);
    static const uint8_t fp[32] = {7};
    sl_sig_result r = sl_verifier_check(v, &k, es256, fp, MSG, n, sig, sig_len);
    sl_verify_key_clear(&k);
    sl_verifier_free(v);
    return r;
}

/* The shape of an ES256 signature is judged without a key, so a DER
 * signature is found even when its certificate was not supplied. */
Test(verify, es256_shape_without_a_key)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    uint8_t der[80], raw[64];
    size_t n = sign(key, EVP_sha256(), der, sizeof der);
    der_to_raw(der, n, raw);
    cr_assert_eq(sl_es256_sig_shape(raw, 64), SL_SIG_OK);
    cr_assert_eq(sl_es256_sig_shape(der, n), SL_SIG_DER);
    cr_assert_eq(sl_es256_sig_shape(raw, 63), SL_SIG_BAD_SIZE);
    cr_assert_eq(sl_es256_sig_shape(raw, 0), SL_SIG_BAD_SIZE);
    EVP_PKEY_free(key);
}

Test(verify, es256_raw_der_and_tampering)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    uint8_t der[80], raw[64];
    size_t n = sign(key, EVP_sha256(), der, sizeof der);
    der_to_raw(der, n, raw);
    cr_assert_eq(check(key, true, sizeof MSG - 1, raw, 64), SL_SIG_OK);
    cr_assert_eq(check(key, true, sizeof MSG - 1, der, n), SL_SIG_DER);
    cr_assert_eq(check(key, true, sizeof MSG - 1, raw, 10), SL_SIG_BAD_SIZE);
    raw[5] ^= 1;
    cr_assert_eq(check(key, true, sizeof MSG - 1, raw, 64), SL_SIG_BAD);
    raw[5] ^= 1;
    cr_assert_eq(check(key, true, sizeof MSG - 2, raw, 64), SL_SIG_BAD);
    cr_assert_eq(check(key, false, sizeof MSG - 1, raw, 64), SL_SIG_KEY);
    memset(raw, 0, 32); /* r = 0 is encoded (INTEGER 0) and rejected */
    cr_assert_eq(check(key, true, sizeof MSG - 1, raw, 64), SL_SIG_BAD);
    EVP_PKEY_free(key);
}

/* The raw r||s is DER-encoded here: r or s with leading zero bytes, or a
 * high first bit, must still verify (minimal integers, 0x00 before a high
 * bit). Signatures are made until each case has come up. */
Test(verify, es256_integer_encodings)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    bool zero_r = false, zero_s = false, high_r = false, high_s = false;
    for (int i = 0; i < 20000 && !(zero_r && zero_s && high_r && high_s); i++) {
        uint8_t der[80], raw[64];
        der_to_raw(der, sign(key, EVP_sha256(), der, sizeof der), raw);
        bool zr = raw[0] == 0, zs = raw[32] == 0, hr = raw[0] & 0x80, hs = raw[32] & 0x80;
        if ((zr && !zero_r) || (zs && !zero_s) || (hr && !high_r) || (hs && !high_s))
            cr_assert_eq(check(key, true, sizeof MSG - 1, raw, 64), SL_SIG_OK, "sig %d", i);
        zero_r |= zr;
        zero_s |= zs;
        high_r |= hr;
        high_s |= hs;
    }
    cr_assert(zero_r && zero_s && high_r && high_s);
    EVP_PKEY_free(key);
}

Test(verify, rsa_sha1)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    uint8_t sig[256];
    size_t n = sign(key, EVP_sha1(), sig, sizeof sig);
    cr_assert_eq(check(key, false, sizeof MSG - 1, sig, n), SL_SIG_OK);
    cr_assert_eq(check(key, false, sizeof MSG - 2, sig, n), SL_SIG_BAD);
    cr_assert_eq(check(key, false, sizeof MSG - 1, sig, n - 1), SL_SIG_BAD);
    sig[0] ^= 0x80;
    cr_assert_eq(check(key, false, sizeof MSG - 1, sig, n), SL_SIG_BAD);
    cr_assert_eq(check(key, true, sizeof MSG - 1, sig, 64), SL_SIG_KEY);
    EVP_PKEY_free(key);
}

Test(verify, other_key_types_fit_no_algorithm)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    cr_assert(key);
    uint8_t sig[64] = {1};
    cr_assert_eq(check(key, true, sizeof MSG - 1, sig, 64), SL_SIG_KEY);
    cr_assert_eq(check(key, false, sizeof MSG - 1, sig, 64), SL_SIG_KEY);
    EVP_PKEY_free(key);
}

/* The cache answers a (message, signature, certificate) seen before, and
 * only that: another signature, message or certificate is checked again. */
Test(verify, cache)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    uint8_t der[80], raw[64];
    size_t der_len = sign(key, EVP_sha256(), der, sizeof der);
    der_to_raw(der, der_len, raw);
    sl_verifier *v = sl_verifier_new(16);
    sl_verify_key k;
    sl_verify_key_init(&k, key);
    uint8_t fp1[32] = {1}, fp2[32] = {2};
    size_t n = sizeof MSG - 1;
    cr_assert_eq(sl_verifier_check(v, &k, true, fp1, MSG, n, raw, 64), SL_SIG_OK);
    cr_assert_eq(sl_verifier_check(v, &k, true, fp1, MSG, n, raw, 64), SL_SIG_OK);
    cr_assert_eq(sl_verifier_check(v, &k, true, fp1, MSG, n, der, der_len), SL_SIG_DER);
    cr_assert_eq(sl_verifier_check(v, &k, true, fp2, MSG, n, raw, 64), SL_SIG_OK);
    cr_assert_eq(sl_verifier_check(v, &k, true, fp1, MSG, n - 1, raw, 64), SL_SIG_BAD);
    cr_assert_eq(sl_verifier_check(v, &k, true, fp1, MSG, n - 1, raw, 64), SL_SIG_BAD);
    cr_assert_eq(sl_verifier_check(v, &k, false, fp1, MSG, n, raw, 64), SL_SIG_KEY);
    uint64_t checked, hits;
    sl_verifier_stats(v, &checked, &hits);
    cr_assert_eq(checked, 5);
    cr_assert_eq(hits, 2);
    cr_assert_gt(sl_verifier_memory(v), 16 * 32);
    sl_verify_key_clear(&k);
    sl_verifier_free(v);
    EVP_PKEY_free(key);
}

/* A set holds several results and gives way to the least recently used
 * one: in a one-set cache, a value used again survives newer ones. */
Test(verify, cache_keeps_the_recently_used)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    uint8_t der[80], raw[64];
    der_to_raw(der, sign(key, EVP_sha256(), der, sizeof der), raw);
    sl_verifier *v = sl_verifier_new(4);
    sl_verify_key k;
    sl_verify_key_init(&k, key);
    uint8_t fp[5][32] = {{1}, {2}, {3}, {4}, {5}};
    size_t n = sizeof MSG - 1;
    uint64_t checked, hits;
    for (int i = 0; i < 4; i++) /* A B C D */
        sl_verifier_check(v, &k, true, fp[i], MSG, n, raw, 64);
    sl_verifier_check(v, &k, true, fp[0], MSG, n, raw, 64); /* A again: a hit */
    sl_verifier_check(v, &k, true, fp[4], MSG, n, raw, 64); /* E replaces B */
    sl_verifier_stats(v, &checked, &hits);
    cr_assert_eq(checked, 5);
    cr_assert_eq(hits, 1);
    const int held[] = {0, 2, 3, 4}; /* A, C, D, E */
    for (int i = 0; i < 4; i++)
        cr_assert_eq(sl_verifier_check(v, &k, true, fp[held[i]], MSG, n, raw, 64), SL_SIG_OK);
    sl_verifier_stats(v, &checked, &hits);
    cr_assert_eq(checked, 5);
    cr_assert_eq(hits, 5);
    cr_assert_eq(sl_verifier_check(v, &k, true, fp[1], MSG, n, raw, 64), SL_SIG_OK); /* B */
    sl_verifier_stats(v, &checked, &hits);
    cr_assert_eq(checked, 6);
    sl_verify_key_clear(&k);
    sl_verifier_free(v);
    EVP_PKEY_free(key);
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
        X509_EXTENSION *bc =
            X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
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

static bool openssl_valid(X509 *x, int64_t at)
{
    time_t t = (time_t)at;
    return X509_cmp_time(X509_get0_notBefore(x), &t) <= 0 &&
           X509_cmp_time(X509_get0_notAfter(x), &t) >= 0;
}

/* Validity is read once per certificate and compared as Unix seconds: it
 * must agree with X509_cmp_time on the leaf and on each intermediate, at the
 * edges, for UTCTime and GeneralizedTime, and for times OpenSSL cannot
 * write as an ASN1_TIME (then no bound limits). */
Test(certstore, validity_as_openssl_judges_it)
{
    char dir[] = "/tmp/sl-validity-XXXXXX";
    cr_assert(mkdtemp(dir));
    char utc[300], gen[300], err[256], detail[128];
    snprintf(utc, sizeof utc, "%s/utc.pem", dir);
    snprintf(gen, sizeof gen, "%s/gen.pem", dir);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    /* leaf 2020, its intermediate from mid-2020 to 2030; a leaf in 2050 (GeneralizedTime) */
    X509 *leaf = make_cert(key, NULL, "leaf", 1577836800, 1609459200);
    X509 *mid = make_cert(key, NULL, "mid", 1590969600, 1893456000);
    X509 *late = make_cert(key, NULL, "late", 2524607999, 2556143999);
    cr_assert_eq(ASN1_STRING_type(X509_get0_notAfter(late)), V_ASN1_GENERALIZEDTIME);
    FILE *f = fopen(utc, "w");
    PEM_write_X509(f, leaf);
    PEM_write_X509(f, mid);
    fclose(f);
    write_pem(gen, late);
    sl_certstore *cs = sl_certstore_new();
    cr_assert(sl_certstore_add_file(cs, "https://a/utc", utc, err, sizeof err), "%s", err);
    cr_assert(sl_certstore_add_file(cs, "https://a/gen", gen, err, sizeof err), "%s", err);
    const sl_cert_entry *e = sl_certstore_find(cs, SL_SLICE_LIT("https://a/utc"));
    const sl_cert_entry *g = sl_certstore_find(cs, SL_SLICE_LIT("https://a/gen"));
    cr_assert(e && g);

    const int64_t edges[] = {1577836800, 1609459200,   1590969600,   1893456000, 2524607999,
                             2556143999, -62167219200, 253402300799, 0};
    const int64_t far[] = {INT64_MIN, INT64_MAX, (int64_t)1e12, -(int64_t)1e12};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0] + sizeof far / sizeof far[0]; i++)
        for (int64_t d = -1; d <= 1; d++) {
            bool edge = i < sizeof edges / sizeof edges[0];
            int64_t t = edge ? edges[i] + d : far[i - sizeof edges / sizeof edges[0]];
            bool leaf_ok = openssl_valid(leaf, t), mid_ok = openssl_valid(mid, t);
            sl_cert_status want = leaf_ok && mid_ok ? SL_CERT_OK : SL_CERT_EXPIRED;
            cr_assert_eq(sl_certstore_check(cs, e, t, detail, sizeof detail), want, "t=%lld",
                         (long long)t);
            if (leaf_ok && !mid_ok)
                cr_assert_str_eq(detail, "intermediate certificate not valid at iat");
            want = openssl_valid(late, t) ? SL_CERT_OK : SL_CERT_EXPIRED;
            cr_assert_eq(sl_certstore_check(cs, g, t, detail, sizeof detail), want, "t=%lld",
                         (long long)t);
        }
    cr_assert_eq(sl_certstore_check(cs, e, 1580000000, detail, sizeof detail), SL_CERT_EXPIRED);
    cr_assert_str_eq(detail, "intermediate certificate not valid at iat");

    sl_certstore_free(cs);
    X509_free(leaf);
    X509_free(mid);
    X509_free(late);
    EVP_PKEY_free(key);
    unlink(utc);
    unlink(gen);
    rmdir(dir);
}
