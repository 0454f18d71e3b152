/* The files the command line names, opened once it has been parsed: the
 * certificate store (--cert, --cert-dir, --trust) and the TLS key log. */
#include "sipsleuth/cli.h"
#include "sipsleuth/tls_keylog.h"

#include <stdio.h>
#include <stdlib.h>

/* One --cert, --cert-dir or --trust into the store: false with the reason in err. */
static bool add_cert(sl_certstore *cs, const sl_cli_cert *r, char *err, size_t errlen)
{
    switch (r->kind) {
    case SL_CLI_CERT: return sl_certstore_add_file(cs, r->arg, r->file, err, errlen);
    case SL_CLI_CERT_DIR: return sl_certstore_set_dir(cs, r->arg, err, errlen);
    default: return sl_certstore_add_trust(cs, r->arg, err, errlen);
    }
}

/* o->cfg.certs from o->certs, when any were given: 0, or the exit status. */
static int load_certs(sl_cli *o)
{
    if (!o->n_certs)
        return 0;
    if (!(o->cfg.certs = sl_certstore_new())) {
        fprintf(stderr, "sipsleuth: out of memory\n");
        return 1;
    }
    char err[600];
    for (int i = 0; i < o->n_certs; i++) {
        if (!add_cert(o->cfg.certs, &o->certs[i], err, sizeof err)) {
            fprintf(stderr, "sipsleuth: %s\n", err);
            return 1;
        }
    }
    if (sl_certstore_count(o->cfg.certs) > o->cfg.identity.max_certs) {
        fprintf(stderr, "sipsleuth: --max-certs %zu: fewer than the %zu --cert given\n",
                o->cfg.identity.max_certs, sl_certstore_count(o->cfg.certs));
        return 2;
    }
    return 0;
}

/* --tls-keylog: read once the caps are known; 0, or the exit status 1. */
static int open_tls_keylog(sl_cli *o)
{
    char err[512];
    if (!o->tls_keylog)
        return 0;
    o->cfg.tls_keylog = sl_tls_keylog_open(o->tls_keylog, o->cfg.tls_max_keys, err, sizeof err);
    if (!o->cfg.tls_keylog) {
        fprintf(stderr, "sipsleuth: %s\n", err);
        return 1;
    }
    return 0;
}

int sl_cli_load(sl_cli *o)
{
    int st = load_certs(o);
    free(o->certs);
    o->certs = NULL;
    o->n_certs = 0;
    if (st) {
        sl_certstore_free(o->cfg.certs);
        o->cfg.certs = NULL;
        return st;
    }
    return open_tls_keylog(o);
}
