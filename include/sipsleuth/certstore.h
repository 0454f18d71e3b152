/* The offline certificate store: certificates found by URL (x5u, info,
 * Identity-Info), never fetched. Sources: --cert URL=FILE, --cert-dir DIR
 * (one file per URL, named as secsipid's cache names them: "://" and every
 * "/" replaced by "_", e.g. https_certs.example.org_sp.pem), and --trust
 * anchors. PEM (leaf first, then intermediates) or DER. Chain results are
 * cached per certificate; the store holds at most `max` URLs (default
 * SL_CERTSTORE_MAX, --max-certs): beyond it a new URL is refused and counted. */
#ifndef SIPSLEUTH_CERTSTORE_H
#define SIPSLEUTH_CERTSTORE_H

#include "sipsleuth/slice.h"
#include "sipsleuth/verify.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#define SL_CERTSTORE_MAX 4096

/* notBefore <= t < notAfter, as X509_cmp_time judges it: a bound OpenSSL
 * cannot compare (not strict RFC 5280 form) does not limit. */
typedef struct sl_validity {
    bool has_from, has_until;
    int64_t from, until;
} sl_validity;

typedef struct sl_cert_entry {
    char *url;
    X509 *leaf;              /* NULL: the URL is not in the store (cached miss) */
    STACK_OF(X509) * chain;  /* intermediates from the same file */
    EVP_PKEY *key;           /* the leaf's public key */
    sl_verify_key vkey;      /* key, ready to verify */
    sl_validity leaf_valid;  /* the leaf's validity */
    sl_validity chain_valid; /* where all intermediates are valid */
    bool has_tnauthlist;     /* OID 1.3.6.1.5.5.7.1.26 */
    uint8_t fingerprint[32]; /* SHA-256 of the leaf */
    int trust;               /* -1 not checked yet, 1 chains to an anchor, 0 does not */
    char trust_error[128];
} sl_cert_entry;

typedef struct sl_certstore sl_certstore;

sl_certstore *sl_certstore_new(void);
void sl_certstore_free(sl_certstore *cs);
/* The most URLs held (before any look-up: entries may move); false when it
 * is 0, below the count held, or out of memory. */
bool sl_certstore_set_max(sl_certstore *cs, size_t max);

/* --cert URL=FILE. False with the reason in err. */
bool sl_certstore_add_file(sl_certstore *cs, const char *url, const char *path, char *err,
                           size_t errlen);
/* --cert-dir: files are looked up there when a URL is first asked for. */
bool sl_certstore_set_dir(sl_certstore *cs, const char *dir, char *err, size_t errlen);
/* The --cert-dir directory can be listed and read now (it is read lazily, so
 * the check is made at the start and again after --user drops privileges). */
bool sl_certstore_dir_readable(const sl_certstore *cs, char *err, size_t errlen);
/* --trust FILE: PEM anchors. */
bool sl_certstore_add_trust(sl_certstore *cs, const char *path, char *err, size_t errlen);
bool sl_certstore_has_trust(const sl_certstore *cs);

/* The entry for a URL, or NULL when it is unknown (then cert_unavailable). */
sl_cert_entry *sl_certstore_find(sl_certstore *cs, sl_slice url);

typedef enum sl_cert_status {
    SL_CERT_OK,
    SL_CERT_EXPIRED,   /* a certificate of the chain is not valid at that time */
    SL_CERT_UNTRUSTED, /* does not chain to a --trust anchor (only with anchors) */
} sl_cert_status;

/* Judges the entry at Unix time `at` (the PASSporT's iat): validity of leaf
 * and intermediates then, and (with anchors) the chain, cached. detail gets
 * a short reason. */
sl_cert_status sl_certstore_check(sl_certstore *cs, const sl_cert_entry *e, int64_t at,
                                  char *detail, size_t detail_len);

/* URLs held (certificates and remembered misses). */
size_t sl_certstore_count(const sl_certstore *cs);
/* URLs refused so far because the store was full. */
uint64_t sl_certstore_refused(const sl_certstore *cs);

/* The URL name used in --cert-dir for a URL (secsipid's cache naming). */
size_t sl_certstore_dir_name(sl_slice url, char *out, size_t cap);

#endif
