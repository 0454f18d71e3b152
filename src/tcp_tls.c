/* SIP over TLS in the TCP stream table: see include/sipsleuth/tcp_tls.h.
 *
 * The hook: sl_tcp_feed (called by tcp_stream.c with each direction's
 * newly in-order bytes) is defined here. A connection that is not TLS goes
 * straight to sl_tcp_frame (tcp_framing.c); a TLS one goes through
 * feed_tls: records are cut from the byte stream (in place when a record
 * lies within the segment, else copied), the hellos are read, protected
 * records are decrypted (tls_decrypt.c) and their application data is
 * framed by sl_tcp_frame as if it were the TCP payload.
 *
 * TLS 1.2: after a direction's ChangeCipherSpec its records are protected
 * (sequence from 0). TLS 1.3: records of type application_data are
 * protected; a direction starts with its handshake traffic keys and moves
 * to the application keys at the first record those open (with AEAD a
 * record opens under the right key and sequence number only), so the
 * handshake is never parsed beyond the hellos. Without the handshake
 * secrets the handshake records are skipped (counted, at most 64). */
#include "tcp_internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

#include "sipsleuth/tcp_tls.h"
#include "sipsleuth/tls_decrypt.h"

#define RECORD_MAX (SL_TLS_RECORD_HEADER + SL_TLS_MAX_RECORD_BODY)
#define MAX_SKIPPED_HANDSHAKE 64

struct sl_tcp_tls {
    sl_tls_keylog *kl;
    void *evp; /* scratch EVP_CIPHER_CTX */
    sl_tls_stats st;
    uint8_t plain[SL_TLS_MAX_RECORD_BODY]; /* one record's plaintext */
};

typedef struct tls_dir {
    sl_tls_cipher hs, ap; /* TLS 1.3: handshake and application keys; TLS 1.2: ap */
    bool protected_;      /* TLS 1.2: after ChangeCipherSpec */
    bool app;             /* TLS 1.3: application keys in use */
    bool dead;            /* no more decryption: bytes dropped */
    bool hello_seen;      /* the first handshake record was read */
    uint32_t skipped;     /* TLS 1.3 handshake records skipped without their keys */
    uint8_t *buf;         /* an unfinished record */
    size_t len, cap;
} tls_dir;

typedef struct sl_tls_conn {
    int client; /* the direction that sent the ClientHello, or -1 */
    bool have_server_hello, keyed, gave_up, early_reported;
    uint8_t client_random[SL_TLS_RANDOM_LEN], server_random[SL_TLS_RANDOM_LEN];
    uint16_t version, suite_id;
    const sl_tls_suite *suite;
    tls_dir dir[2];
} sl_tls_conn;

/* ---- the table's TLS context ---- */

sl_tcp_tls *sl_tcp_tls_new(sl_tls_keylog *kl)
{
    sl_tcp_tls *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->kl = kl;
    x->evp = sl_tls_ctx_new();
    if (!x->evp) {
        free(x);
        return NULL;
    }
    return x;
}

void sl_tcp_tls_free(sl_tcp_tls *x)
{
    if (!x)
        return;
    sl_tls_ctx_free(x->evp);
    OPENSSL_cleanse(x->plain, sizeof x->plain);
    free(x);
}

void sl_tcp_attach_tls(sl_tcp_table *t, sl_tcp_tls *x)
{
    t->tls = x;
}

void sl_tcp_tls_get_stats(const sl_tcp_tls *x, sl_tls_stats *out)
{
    *out = x->st;
}

/* ---- per connection ---- */

static void dir_release(sl_tcp_table *t, tls_dir *td)
{
    if (td->buf) {
        OPENSSL_cleanse(td->buf, td->cap);
        free(td->buf);
        sl_lru_release(&t->conns, td->cap);
    }
    td->buf = NULL;
    td->len = td->cap = 0;
}

void sl_tcp_tls_conn_free(sl_tcp_table *t, conn *c)
{
    sl_tls_conn *s = c->tls;
    if (!s)
        return;
    for (int d = 0; d < 2; d++) {
        dir_release(t, &s->dir[d]);
        sl_tls_cipher_clear(&s->dir[d].hs);
        sl_tls_cipher_clear(&s->dir[d].ap);
    }
    sl_lru_release(&t->conns, sizeof *s);
    free(s);
    c->tls = NULL;
}

static void tls_hole(sl_tcp_table *t, conn *c, int d)
{
    sl_tls_conn *s = c->tls;
    if (!s)
        return;
    /* the records' boundaries and sequence numbers are lost with the bytes */
    s->dir[d].dead = true;
    dir_release(t, &s->dir[d]);
}

/* Both directions stop; one anomaly for the connection. */
static void give_up(sl_tcp_table *t, conn *c, int d, sl_anomaly_kind kind, const char *detail)
{
    sl_tls_conn *s = c->tls;
    s->dir[0].dead = s->dir[1].dead = true;
    if (s->gave_up)
        return;
    s->gave_up = true;
    sl_tcp_anomaly(t, c, d, kind, detail);
}

static void random_hex(const uint8_t *r, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < SL_TLS_RANDOM_LEN; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[(size_t)2 * SL_TLS_RANDOM_LEN] = '\0';
}

/* The secrets of the session, at its first protected record. */
static bool key_setup(sl_tcp_table *t, conn *c, int d)
{
    sl_tls_conn *s = c->tls;
    sl_tcp_tls *x = t->tls;
    char detail[160];
    if (s->keyed)
        return true;
    if (s->client < 0 || !s->have_server_hello) {
        x->st.no_key++;
        give_up(t, c, d, SL_ANOM_TLS_NO_KEY,
                s->client < 0 ? "ClientHello not captured (the capture began mid-connection?)"
                              : "ServerHello not captured");
        return false;
    }
    if (!s->suite) {
        x->st.unsupported++;
        snprintf(detail, sizeof detail, "version 0x%04x, cipher suite 0x%04x not decrypted",
                 s->version, s->suite_id);
        give_up(t, c, d, SL_ANOM_TLS_UNSUPPORTED, detail);
        return false;
    }
    sl_tls_keys k;
    memset(&k, 0, sizeof k);
    const int cl = s->client;
    bool found = x->kl && sl_tls_keylog_find(x->kl, s->client_random, &k);
    bool ok = false;
    if (found && !s->suite->tls13 && k.len[SL_TLS_MASTER_SECRET]) {
        ok = sl_tls12_derive(s->suite, k.secret[SL_TLS_MASTER_SECRET], k.len[SL_TLS_MASTER_SECRET],
                             s->client_random, s->server_random, &s->dir[cl].ap, &s->dir[!cl].ap);
    } else if (found && s->suite->tls13 && k.len[SL_TLS_CLIENT_AP_SECRET] &&
               k.len[SL_TLS_SERVER_AP_SECRET]) {
        ok = sl_tls13_derive(s->suite, k.secret[SL_TLS_CLIENT_AP_SECRET],
                             k.len[SL_TLS_CLIENT_AP_SECRET], &s->dir[cl].ap) &&
             sl_tls13_derive(s->suite, k.secret[SL_TLS_SERVER_AP_SECRET],
                             k.len[SL_TLS_SERVER_AP_SECRET], &s->dir[!cl].ap);
        /* the handshake keys only keep the records in step: optional */
        if (ok && k.len[SL_TLS_CLIENT_HS_SECRET])
            (void)sl_tls13_derive(s->suite, k.secret[SL_TLS_CLIENT_HS_SECRET],
                                  k.len[SL_TLS_CLIENT_HS_SECRET], &s->dir[cl].hs);
        if (ok && k.len[SL_TLS_SERVER_HS_SECRET])
            (void)sl_tls13_derive(s->suite, k.secret[SL_TLS_SERVER_HS_SECRET],
                                  k.len[SL_TLS_SERVER_HS_SECRET], &s->dir[!cl].hs);
    }
    OPENSSL_cleanse(&k, sizeof k);
    if (!ok) {
        x->st.no_key++;
        char rnd[2 * SL_TLS_RANDOM_LEN + 1];
        random_hex(s->client_random, rnd);
        snprintf(detail, sizeof detail, "%s for client random %s",
                 !x->kl  ? "no --tls-keylog"
                 : found ? "the key log lacks this version's secrets"
                         : "not in the key log",
                 rnd);
        give_up(t, c, d, SL_ANOM_TLS_NO_KEY, detail);
        return false;
    }
    s->keyed = true;
    x->st.decrypted++;
    return true;
}

/* Plaintext handshake records: the hellos. */
static void handshake_plain(sl_tcp_table *t, conn *c, int d, const uint8_t *body, size_t n)
{
    sl_tls_conn *s = c->tls;
    tls_dir *td = &s->dir[d];
    uint8_t type;
    sl_slice msg;
    /* Only a record's first message is read: a later one may begin in the
     * next record, and the hellos come first in theirs. */
    if (sl_tls_handshake_parse(body, n, &type, &msg) != SL_OK)
        return;
    sl_tls_hello h;
    sl_anomaly an = {0};
    if (type == SL_TLS_HS_CLIENT_HELLO && !td->hello_seen && s->client < 0) {
        if (sl_tls_hello_parse(msg.ptr, msg.len, true, &h, &an) != SL_OK) {
            t->tls->st.invalid++;
            give_up(t, c, d, SL_ANOM_TLS_INVALID, sl_anomaly_name(an.kind));
            return;
        }
        s->client = d;
        memcpy(s->client_random, h.random, SL_TLS_RANDOM_LEN);
    } else if (type == SL_TLS_HS_SERVER_HELLO && !s->have_server_hello && s->client != d) {
        if (sl_tls_hello_parse(msg.ptr, msg.len, false, &h, &an) != SL_OK) {
            t->tls->st.invalid++;
            give_up(t, c, d, SL_ANOM_TLS_INVALID, sl_anomaly_name(an.kind));
            return;
        }
        if (h.retry_request)
            return; /* a HelloRetryRequest: the real ServerHello follows */
        s->have_server_hello = true;
        memcpy(s->server_random, h.random, SL_TLS_RANDOM_LEN);
        s->version = h.version;
        s->suite_id = h.cipher_suite;
        s->suite = sl_tls_suite_find(h.cipher_suite, h.version);
        if (!s->suite) {
            t->tls->st.unsupported++;
            char detail[96];
            snprintf(detail, sizeof detail, "version 0x%04x, cipher suite 0x%04x not decrypted",
                     s->version, s->suite_id);
            give_up(t, c, d, SL_ANOM_TLS_UNSUPPORTED, detail);
        }
    }
    td->hello_seen = true;
}

/* Decrypted handshake messages of the application phase: KeyUpdate. */
static void handshake_protected(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    tls_dir *td = &c->tls->dir[d];
    uint8_t type;
    sl_slice msg;
    while (n > 0 && sl_tls_handshake_parse(p, n, &type, &msg) == SL_OK) {
        if (type == SL_TLS_HS_KEY_UPDATE && td->app) {
            if (!sl_tls13_key_update(&td->ap)) {
                td->dead = true;
                return;
            }
            t->tls->st.key_updates++;
        }
        size_t used = 4 + msg.len;
        p += used;
        n -= used;
    }
}

static void decrypt_failed(sl_tcp_table *t, conn *c, int d, uint64_t seq)
{
    tls_dir *td = &c->tls->dir[d];
    td->dead = true;
    t->tls->st.decrypt_failed++;
    char detail[96];
    snprintf(detail, sizeof detail, "record %llu fails authentication; this direction is dropped",
             (unsigned long long)seq);
    sl_tcp_anomaly(t, c, d, SL_ANOM_TLS_DECRYPT_FAILED, detail);
}

/* One protected record: decrypted, its application data framed. */
static void protected_record(sl_tcp_table *t, conn *c, int d, const uint8_t *rec, size_t len)
{
    sl_tls_conn *s = c->tls;
    sl_tcp_tls *x = t->tls;
    tls_dir *td = &s->dir[d];
    if (!key_setup(t, c, d) || !s->suite) /* keyed: the suite is known */
        return;
    const uint8_t *body = rec + SL_TLS_RECORD_HEADER;
    size_t n = len - SL_TLS_RECORD_HEADER, out_len = 0;
    uint8_t type = 0;
    bool ok;
    if (!s->suite->tls13 || td->app) {
        ok = sl_tls_decrypt(&td->ap, x->evp, rec, body, n, x->plain, &out_len, &type);
    } else {
        ok = td->hs.ready &&
             sl_tls_decrypt(&td->hs, x->evp, rec, body, n, x->plain, &out_len, &type);
        if (!ok) {
            ok = sl_tls_decrypt(&td->ap, x->evp, rec, body, n, x->plain, &out_len, &type);
            td->app = ok;
        }
        if (!ok && ++td->skipped <= MAX_SKIPPED_HANDSHAKE) {
            /* a handshake record whose keys were not logged, or 0-RTT data
             * and EndOfEarlyData (the early secret is not used) */
            x->st.dropped_bytes += len;
            return;
        }
    }
    if (!ok) {
        decrypt_failed(t, c, d, td->app || !s->suite->tls13 ? td->ap.seq : td->hs.seq);
        return;
    }
    x->st.records++;
    if (type == SL_TLS_APPLICATION_DATA && out_len > 0) {
        x->st.plaintext_bytes += out_len;
        sl_tcp_frame(t, c, d, x->plain, out_len);
    } else if (type == SL_TLS_HANDSHAKE && s->suite->tls13) {
        handshake_protected(t, c, d, x->plain, out_len);
    }
}

/* One whole record rec[0..len) of direction d. */
static void record(sl_tcp_table *t, conn *c, int d, const uint8_t *rec, size_t len)
{
    sl_tls_conn *s = c->tls;
    tls_dir *td = &s->dir[d];
    const uint8_t type = rec[0];
    const bool tls13 = s->suite && s->suite->tls13;
    if (td->protected_ || (tls13 && type == SL_TLS_APPLICATION_DATA)) {
        protected_record(t, c, d, rec, len);
        return;
    }
    switch (type) {
    case SL_TLS_HANDSHAKE:
        handshake_plain(t, c, d, rec + SL_TLS_RECORD_HEADER, len - SL_TLS_RECORD_HEADER);
        break;
    case SL_TLS_CHANGE_CIPHER_SPEC:
        if (s->have_server_hello && !tls13)
            td->protected_ = true; /* TLS 1.2: what follows is protected */
        break;
    case SL_TLS_APPLICATION_DATA:
        if (s->client == d && !s->have_server_hello) {
            /* the client's 0-RTT early data: not decrypted, said once */
            t->tls->st.dropped_bytes += len;
            if (!s->early_reported)
                sl_tcp_anomaly(t, c, d, SL_ANOM_TLS_UNSUPPORTED, "0-RTT early data not decrypted");
            s->early_reported = true;
            break;
        }
        /* no hello seen: the capture began after the handshake (tls_no_key) */
        protected_record(t, c, d, rec, len);
        break;
    default: break; /* plaintext alerts, heartbeats */
    }
}

static bool hold(sl_tcp_table *t, tls_dir *td, const uint8_t *p, size_t n)
{
    size_t want = td->len + n;
    if (want > td->cap) {
        size_t cap = td->cap ? td->cap : 512;
        while (cap < want)
            cap *= 2;
        if (cap > RECORD_MAX)
            cap = RECORD_MAX;
        uint8_t *nb = realloc(td->buf, cap);
        if (!nb)
            return false;
        sl_lru_charge(&t->conns, cap - td->cap);
        td->buf = nb;
        td->cap = cap;
    }
    memcpy(td->buf + td->len, p, n);
    td->len += n;
    return true;
}

static void invalid_record(sl_tcp_table *t, conn *c, int d, const sl_anomaly *an)
{
    t->tls->st.invalid++;
    give_up(t, c, d, SL_ANOM_TLS_INVALID, an->kind ? sl_anomaly_name(an->kind) : "tls_bad_record");
}

/* The bytes of a TLS connection's direction d. */
static void feed_tls(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    sl_tls_conn *s = c->tls;
    tls_dir *td = &s->dir[d];
    while (n > 0) {
        if (td->dead || c->h[d].mode == M_NOT_SIP) {
            t->tls->st.dropped_bytes += n;
            dir_release(t, td);
            return;
        }
        sl_tls_record r;
        sl_anomaly an = {0};
        if (td->len == 0) {
            sl_status st = sl_tls_record_parse(p, n, &r, &an);
            if (st == SL_INVALID) {
                invalid_record(t, c, d, &an);
                continue;
            }
            if (st == SL_OK && n >= SL_TLS_RECORD_HEADER + r.length) {
                size_t len = SL_TLS_RECORD_HEADER + r.length;
                record(t, c, d, p, len); /* in place */
                p += len;
                n -= len;
                continue;
            }
            if (!hold(t, td, p, n)) {
                sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_NOMEM, "TLS record dropped");
                td->dead = true;
            }
            return;
        }
        /* complete the header, then the body, of the held record */
        size_t need = SL_TLS_RECORD_HEADER;
        if (td->len >= SL_TLS_RECORD_HEADER) {
            (void)sl_tls_record_parse(td->buf, td->len, &r, &an); /* checked when held */
            need += r.length;
        }
        size_t take = need - td->len < n ? need - td->len : n;
        if (!hold(t, td, p, take)) {
            sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_NOMEM, "TLS record dropped");
            td->dead = true;
            continue;
        }
        p += take;
        n -= take;
        if (td->len < need)
            return;
        if (need == SL_TLS_RECORD_HEADER) {
            if (sl_tls_record_parse(td->buf, td->len, &r, &an) == SL_INVALID) {
                td->len = 0;
                invalid_record(t, c, d, &an);
            }
            continue;
        }
        record(t, c, d, td->buf, td->len);
        td->len = 0;
    }
    if (td->len == 0)
        dir_release(t, td);
}

/* A connection's first bytes in a direction: a TLS handshake record? */
static void detect(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    const half *h = &c->h[d];
    if (h->mode != M_START || h->len > 0 ||
        !(sl_tls_looks_like_handshake(p, n) || sl_tls_looks_like_app_data(p, n)))
        return;
    sl_tls_conn *s = calloc(1, sizeof *s);
    if (!s)
        return; /* framed as before: no SIP will be found in it */
    s->client = -1;
    sl_lru_charge(&t->conns, sizeof *s);
    c->tls = s;
    t->tls->st.connections++;
}

void sl_tcp_hole(sl_tcp_table *t, conn *c, int d)
{
    tls_hole(t, c, d);
    sl_tcp_framing_gap(t, c, d);
}

void sl_tcp_cut(sl_tcp_table *t, conn *c, int d, size_t n)
{
    if (c->tls)
        sl_tcp_hole(t, c, d); /* ciphertext was cut: the records' boundaries are lost */
    else
        sl_tcp_framing_cut(t, c, d, n);
}

void sl_tcp_feed(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    if (t->tls && !c->tls)
        detect(t, c, d, p, n);
    if (c->tls && t->tls)
        feed_tls(t, c, d, p, n);
    else
        sl_tcp_frame(t, c, d, p, n);
}
