/* Certificates by URL, offline: loading, chains, and checks at a given time. */
#include "sipsleuth/certstore.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../hash.h"
#include "../lru_table.h"

typedef struct cert_node {
    sl_lru_node node; /* first */
    sl_cert_entry e;
} cert_node;

/* The entries by URL; the count cap is --max-certs, and a URL beyond it is
 * refused rather than evicting one (the list order is not used). */
struct sl_certstore {
    sl_lru entries;
    uint64_t seed;
    uint64_t refused;
    char *dir;
    X509_STORE *anchors;
    size_t n_anchors;
};

sl_certstore *sl_certstore_new(void)
{
    sl_certstore *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    if (getrandom(&cs->seed, sizeof cs->seed, GRND_NONBLOCK) != (ssize_t)sizeof cs->seed)
        cs->seed = (uint64_t)(uintptr_t)cs ^ UINT64_C(0x9e3779b97f4a7c15);
    cs->anchors = X509_STORE_new();
    if (!sl_lru_init(&cs->entries, 16, SL_CERTSTORE_MAX, SIZE_MAX) || !cs->anchors) {
        sl_certstore_free(cs);
        return NULL;
    }
    return cs;
}

void sl_certstore_free(sl_certstore *cs)
{
    if (!cs)
        return;
    for (sl_lru_node *n = cs->entries.oldest, *next; n; n = next) {
        next = n->newer;
        sl_cert_entry *e = &((cert_node *)n)->e;
        free(e->url);
        X509_free(e->leaf);
        sk_X509_pop_free(e->chain, X509_free);
        sl_verify_key_clear(&e->vkey);
        EVP_PKEY_free(e->key);
        free(n);
    }
    sl_lru_free(&cs->entries);
    free(cs->dir);
    X509_STORE_free(cs->anchors);
    free(cs);
}

/* All certificates of a file: PEM (any number) or a single DER. */
static STACK_OF(X509) * read_certs(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *x;
    while (certs && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        if (!sk_X509_push(certs, x))
            X509_free(x);
    ERR_clear_error();
    if (certs && sk_X509_num(certs) == 0) {
        rewind(f);
        x = d2i_X509_fp(f, NULL);
        ERR_clear_error();
        if (x && !sk_X509_push(certs, x))
            X509_free(x);
    }
    (void)fclose(f); /* only read from: nothing to lose */
    if (!certs || sk_X509_num(certs) == 0) {
        snprintf(err, errlen, "%s: no PEM or DER certificate in it", path);
        sk_X509_free(certs);
        return NULL;
    }
    return certs;
}

static bool has_tnauthlist(X509 *x)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
    bool found = oid && X509_get_ext_by_OBJ(x, oid, -1) >= 0;
    ASN1_OBJECT_free(oid);
    return found;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (month 1..12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Unix seconds of a time X509_cmp_time can compare: RFC 5280 form only,
 * UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ. */
static bool strict_time(const ASN1_TIME *a, int64_t *out)
{
    int len = ASN1_STRING_length(a);
    const unsigned char *d = ASN1_STRING_get0_data(a);
    int type = ASN1_STRING_type(a);
    if (!((type == V_ASN1_UTCTIME && len == 13) || (type == V_ASN1_GENERALIZEDTIME && len == 15)))
        return false;
    for (int i = 0; i < len - 1; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    struct tm tm;
    if (d[len - 1] != 'Z' || ASN1_TIME_to_tm(a, &tm) != 1)
        return false;
    *out = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
           (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec;
    return true;
}

/* Narrows v to where x is valid too. */
static void narrow_validity(sl_validity *v, X509 *x)
{
    int64_t t;
    if (strict_time(X509_get0_notBefore(x), &t) && (!v->has_from || t > v->from)) {
        v->has_from = true;
        v->from = t;
    }
    if (strict_time(X509_get0_notAfter(x), &t) && (!v->has_until || t < v->until)) {
        v->has_until = true;
        v->until = t;
    }
}

/* X509_cmp_time writes the time it compares against as an ASN1_TIME: it
 * cannot before year 0 or after year 9999, and then no bound limits. */
#define ASN1_TIME_MIN INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define ASN1_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static bool valid_at(const sl_validity *v, int64_t at)
{
    if (at < ASN1_TIME_MIN || at > ASN1_TIME_MAX)
        return true;
    return (!v->has_from || v->from <= at) && (!v->has_until || at < v->until);
}

static uint64_t url_hash(const sl_certstore *cs, sl_slice url)
{
    return sl_hash_bytes(cs->seed, url.ptr, url.len);
}

static sl_cert_entry *new_entry(sl_certstore *cs, sl_slice url)
{
    if (sl_lru_full(&cs->entries)) {
        cs->refused++;
        return NULL;
    }
    cert_node *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    sl_cert_entry *e = &c->e;
    e->url = malloc(url.len + 1);
    if (!e->url) {
        free(c);
        return NULL;
    }
    memcpy(e->url, url.ptr, url.len);
    e->url[url.len] = '\0';
    e->trust = -1;
    sl_lru_insert(&cs->entries, &c->node, url_hash(cs, url));
    sl_lru_grow(&cs->entries, SIZE_MAX); /* no byte account: identity estimates per entry */
    return e;
}

static bool fill_entry(sl_cert_entry *e, STACK_OF(X509) * certs)
{
    e->leaf = sk_X509_shift(certs);
    e->chain = certs;
    e->key = X509_get_pubkey(e->leaf);
    if (!e->key) {
        X509_free(e->leaf);
        sk_X509_pop_free(e->chain, X509_free);
        e->leaf = NULL;
        e->chain = NULL;
        return false;
    }
    sl_verify_key_init(&e->vkey, e->key);
    narrow_validity(&e->leaf_valid, e->leaf);
    for (int i = 0; i < sk_X509_num(e->chain); i++)
        narrow_validity(&e->chain_valid, sk_X509_value(e->chain, i));
    e->has_tnauthlist = has_tnauthlist(e->leaf);
    unsigned len = sizeof e->fingerprint;
    X509_digest(e->leaf, EVP_sha256(), e->fingerprint, &len);
    return true;
}

static sl_cert_entry *lookup(sl_certstore *cs, sl_slice url)
{
    for (sl_lru_node *n = sl_lru_first(&cs->entries, url_hash(cs, url)); n; n = sl_lru_next(n)) {
        sl_cert_entry *e = &((cert_node *)n)->e;
        if (strlen(e->url) == url.len && memcmp(e->url, url.ptr, url.len) == 0)
            return e;
    }
    return NULL;
}

bool sl_certstore_add_file(sl_certstore *cs, const char *url, const char *path, char *err,
                           size_t errlen)
{
    STACK_OF(X509) *certs = read_certs(path, err, errlen);
    if (!certs)
        return false;
    sl_slice u = sl_slice_make(url, strlen(url));
    if (lookup(cs, u)) {
        snprintf(err, errlen, "%s: given twice", url);
        sk_X509_pop_free(certs, X509_free);
        return false;
    }
    sl_cert_entry *e = new_entry(cs, u);
    if (!e || !fill_entry(e, certs)) {
        snprintf(err, errlen, "%s: %s", path, e ? "no usable public key" : "too many certificates");
        if (!e)
            sk_X509_pop_free(certs, X509_free);
        return false;
    }
    return true;
}

bool sl_certstore_set_dir(sl_certstore *cs, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return false;
    }
    free(cs->dir);
    cs->dir = strdup(dir);
    return cs->dir != NULL && sl_certstore_dir_readable(cs, err, errlen);
}

bool sl_certstore_dir_readable(const sl_certstore *cs, char *err, size_t errlen)
{
    if (!cs->dir || access(cs->dir, R_OK | X_OK) == 0)
        return true;
    snprintf(err, errlen, "--cert-dir %s: cannot read it: %s", cs->dir, strerror(errno));
    return false;
}

bool sl_certstore_add_trust(sl_certstore *cs, const char *path, char *err, size_t errlen)
{
    STACK_OF(X509) *certs = read_certs(path, err, errlen);
    if (!certs)
        return false;
    for (int i = 0; i < sk_X509_num(certs); i++)
        X509_STORE_add_cert(cs->anchors, sk_X509_value(certs, i));
    cs->n_anchors += (size_t)sk_X509_num(certs);
    sk_X509_pop_free(certs, X509_free);
    ERR_clear_error();
    return true;
}

size_t sl_certstore_count(const sl_certstore *cs)
{
    return cs->entries.count;
}

uint64_t sl_certstore_refused(const sl_certstore *cs)
{
    return cs->refused;
}

bool sl_certstore_set_max(sl_certstore *cs, size_t max)
{
    if (max == 0 || max < cs->entries.count)
        return false;
    cs->entries.max_count = max;
    return true;
}

bool sl_certstore_has_trust(const sl_certstore *cs)
{
    return cs->n_anchors > 0;
}

size_t sl_certstore_dir_name(sl_slice url, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < url.len && o + 1 < cap; i++) {
        if (url.len - i >= 3 && memcmp(url.ptr + i, "://", 3) == 0) {
            out[o++] = '_';
            i += 2;
            continue;
        }
        out[o++] = (char)(url.ptr[i] == '/' ? '_' : url.ptr[i]);
    }
    if (cap)
        out[o] = '\0';
    return o;
}

sl_cert_entry *sl_certstore_find(sl_certstore *cs, sl_slice url)
{
    if (!url.len)
        return NULL;
    sl_cert_entry *e = lookup(cs, url);
    if (e)
        return e->leaf ? e : NULL;
    if (!cs->dir || url.len > 1024 || memchr(url.ptr, '\0', url.len))
        return NULL;
    char name[1100], path[4200], err[256];
    sl_certstore_dir_name(url, name, sizeof name);
    if (name[0] == '.' || name[0] == '\0')
        return NULL;
    snprintf(path, sizeof path, "%s/%s", cs->dir, name);
    /* Misses are remembered too, so a flood of unknown URLs costs one stat each. */
    e = new_entry(cs, url);
    if (!e)
        return NULL;
    STACK_OF(X509) *certs = read_certs(path, err, sizeof err);
    if (certs)
        fill_entry(e, certs);
    return e->leaf ? e : NULL;
}

/* Whether the chain reaches an anchor, ignoring time (which is judged per
 * PASSporT at its iat): done once per certificate. */
static void check_trust(sl_certstore *cs, sl_cert_entry *e)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || !X509_STORE_CTX_init(ctx, cs->anchors, e->leaf, e->chain)) {
        e->trust = 0;
        snprintf(e->trust_error, sizeof e->trust_error, "cannot set up verification");
        X509_STORE_CTX_free(ctx);
        return;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
    e->trust = X509_verify_cert(ctx) == 1;
    if (!e->trust)
        snprintf(e->trust_error, sizeof e->trust_error, "%s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
}

sl_cert_status sl_certstore_check(sl_certstore *cs, const sl_cert_entry *entry, int64_t at,
                                  char *detail, size_t detail_len)
{
    sl_cert_entry *e = (sl_cert_entry *)entry;
    detail[0] = '\0';
    if (!valid_at(&e->leaf_valid, at)) {
        snprintf(detail, detail_len, "certificate not valid at iat");
        return SL_CERT_EXPIRED;
    }
    if (!valid_at(&e->chain_valid, at)) {
        snprintf(detail, detail_len, "intermediate certificate not valid at iat");
        return SL_CERT_EXPIRED;
    }
    if (!cs->n_anchors)
        return SL_CERT_OK;
    if (e->trust < 0)
        check_trust(cs, e);
    if (!e->trust) {
        snprintf(detail, detail_len, "%s", e->trust_error);
        return SL_CERT_UNTRUSTED;
    }
    return SL_CERT_OK;
}
