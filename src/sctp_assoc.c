/* SCTP associations: see include/sipsleuth/sctp_assoc.h. The association
 * table (address pair and ports, least recently active first, caps and
 * eviction) and each direction's window of TSNs seen; the fragments held
 * until their user message is complete are in sctp_reassembly.c. The bytes
 * come from the pure chunk walk in dissectors/sctp.c. */
#include "sctp_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "hash.h"

enum {
    TSN_RESYNC = 65536, /* an older TSN than this starts the window again */
};

void sl_sctp_config_default(sl_sctp_config *cfg)
{
    cfg->max_assocs = 16384;
    cfg->max_bytes = 32u << 20;
    cfg->max_message = 256u << 10;
    cfg->idle_timeout = 300 * SL_NS_PER_SEC;
    cfg->seed = 0;
    cfg->frames = NULL;
}

/* ---- duplicate TSNs ---- */

static bool bit_test(const half *h, uint32_t tsn)
{
    return h->seen[(tsn % TSN_WINDOW) / 64] >> (tsn % 64) & 1;
}
static void bit_set(half *h, uint32_t tsn, bool on)
{
    uint64_t m = (uint64_t)1 << (tsn % 64);
    uint64_t *w = &h->seen[(tsn % TSN_WINDOW) / 64];
    *w = on ? *w | m : *w & ~m;
}

static void window_start(half *h, uint32_t tsn)
{
    h->started = true;
    h->hi = tsn;
    memset(h->seen, 0, sizeof h->seen);
    bit_set(h, tsn, true);
}

/* Records tsn; true when it was seen before (or is too old to tell). */
static bool tsn_seen(half *h, uint32_t tsn)
{
    if (!h->started) {
        window_start(h, tsn);
        return false;
    }
    int32_t ahead = (int32_t)(tsn - h->hi);
    if (ahead > 0) {
        if (ahead >= TSN_WINDOW)
            memset(h->seen, 0, sizeof h->seen);
        else
            for (uint32_t k = h->hi + 1; k != tsn; k++)
                bit_set(h, k, false);
        h->hi = tsn;
        bit_set(h, tsn, true);
        return false;
    }
    uint32_t back = h->hi - tsn;
    if (back >= TSN_RESYNC) {
        window_start(h, tsn);
        return false;
    }
    if (back >= TSN_WINDOW || bit_test(h, tsn))
        return true;
    bit_set(h, tsn, true);
    return false;
}

/* Drops a direction's fragments and TSN window (a new association, the end of one). */
static void dir_reset(sl_sctp_table *t, assoc *a, int d, const char *why)
{
    sl_sctp_drop_fragments(t, a, d, why);
    memset(&a->h[d], 0, sizeof a->h[d]);
}

static void on_data(sl_sctp_table *t, assoc *a, int d, const sl_sctp_data *c)
{
    half *h = &a->h[d];
    t->st.data_chunks++;
    if (c->truncated && !(c->begin && c->end)) {
        t->st.dropped_fragments++; /* a fragment cut by the capture cannot be joined */
        return;
    }
    if (tsn_seen(h, c->tsn)) {
        t->st.duplicates++;
        return;
    }
    if (c->begin && c->end) /* the receiver caps it, as for a datagram */
        sl_sctp_deliver(t, a, d, c->payload.ptr, c->payload.len, c->truncated);
    else
        sl_sctp_hold_fragment(t, a, d, c);
    if (h->head)
        sl_sctp_prune(t, a, d);
}

/* ---- associations ---- */

static uint64_t endpoint_hash(const sl_sctp_table *t, const sl_addr *a, uint16_t port)
{
    uint8_t key[19];
    key[0] = a->family;
    memcpy(key + 1, a->bytes, 16);
    memcpy(key + 17, &port, 2);
    return sl_hash_bytes(t->cfg.seed, key, sizeof key);
}

static uint64_t hash_of(const sl_sctp_table *t, const sl_packet *pkt)
{
    /* symmetric: both directions land in the same bucket */
    uint64_t h = endpoint_hash(t, &pkt->src, pkt->sport) + endpoint_hash(t, &pkt->dst, pkt->dport);
    return sl_mix64(h);
}

static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static assoc *lookup(const sl_sctp_table *t, const sl_packet *pkt, int *dir)
{
    for (sl_lru_node *n = sl_lru_first(&t->assocs, hash_of(t, pkt)); n; n = sl_lru_next(n)) {
        assoc *a = (assoc *)n;
        for (int d = 0; d < 2; d++) {
            if (a->port[d] == pkt->sport && a->port[!d] == pkt->dport &&
                addr_eq(&a->addr[d], &pkt->src) && addr_eq(&a->addr[!d], &pkt->dst)) {
                *dir = d;
                return a;
            }
        }
    }
    return NULL;
}

static assoc *oldest(const sl_sctp_table *t)
{
    return (assoc *)t->assocs.oldest;
}

/* Reports and frees what the association holds (the callbacks may run), then
 * unlinks and frees it. */
static void assoc_free(sl_sctp_table *t, assoc *a, const char *why)
{
    for (int d = 0; d < 2; d++)
        dir_reset(t, a, d, why);
    sl_lru_remove(&t->assocs, &a->node);
    if (t->cur == a)
        t->cur = NULL;
    sl_lru_release(&t->assocs, sizeof *a);
    free(a);
}

static void evict(sl_sctp_table *t, assoc *a, const char *why)
{
    t->st.evictions++;
    if (a->h[0].head || a->h[1].head) {
        char detail[96];
        snprintf(detail, sizeof detail, "least recently active association evicted (%s)", why);
        sl_sctp_anomaly(t, a, 0, SL_ANOM_SCTP_ASSOC_EVICTED, detail);
    }
    assoc_free(t, a, why);
}

static assoc *assoc_new(sl_sctp_table *t, const sl_packet *pkt, sl_time ts)
{
    while (sl_lru_full(&t->assocs) && oldest(t))
        evict(t, oldest(t), "association cap");
    assoc *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->addr[0] = pkt->src;
    a->addr[1] = pkt->dst;
    a->port[0] = pkt->sport;
    a->port[1] = pkt->dport;
    sl_lru_insert(&t->assocs, &a->node, hash_of(t, pkt));
    sl_lru_charge(&t->assocs, sizeof *a);
    t->st.associations++;
    a->last = ts;
    return a;
}

sl_sctp_table *sl_sctp_new(const sl_sctp_config *cfg, const sl_sctp_callbacks *cb)
{
    sl_sctp_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (cfg)
        t->cfg = *cfg;
    else
        sl_sctp_config_default(&t->cfg);
    if (cb)
        t->cb = *cb;
    if (t->cfg.max_assocs == 0)
        t->cfg.max_assocs = 1;
    /* about one bucket per association that fits, so the table is part of the cap */
    size_t want = t->cfg.max_assocs;
    if (want > t->cfg.max_bytes / 1024)
        want = t->cfg.max_bytes / 1024;
    if (!sl_lru_init(&t->assocs, want > 16 ? want : 16, t->cfg.max_assocs, t->cfg.max_bytes)) {
        free(t);
        return NULL;
    }
    sl_lru_charge(&t->assocs, sizeof *t + sl_lru_bucket_bytes(&t->assocs));
    return t;
}

/* The packet's association, created when a chunk needs state. */
static assoc *assoc_for(sl_sctp_table *t, assoc *a, int *d, sl_time ts)
{
    if (a)
        return a;
    a = assoc_new(t, t->pkt, ts);
    *d = 0;
    t->cur = a;
    return a;
}

static void bad_chunk(sl_sctp_table *t, const assoc *a, int d, const sl_anomaly *an)
{
    t->st.bad_chunks++;
    char detail[64];
    snprintf(detail, sizeof detail, "at offset %zu; the rest of the packet is skipped", an->offset);
    sl_sctp_anomaly(t, a, d, an->kind, detail);
}

void sl_sctp_packet(sl_sctp_table *t, const sl_packet *pkt, sl_time ts)
{
    t->st.packets++;
    if (ts > t->now)
        t->now = ts;
    int d = 0;
    assoc *a = lookup(t, pkt, &d);
    t->pkt = pkt;
    t->cur = a;
    if (a) {
        a->last = ts;
        sl_lru_touch(&t->assocs, &a->node);
    }
    bool close = false;
    sl_sctp_iter it;
    sl_sctp_iter_init(&it, pkt->payload, pkt->truncated ? SIZE_MAX : pkt->payload.len);
    sl_sctp_chunk c;
    sl_anomaly an = {0};
    while (sl_sctp_next_chunk(&it, &c, &an)) {
        t->st.chunks++;
        switch (c.type) {
        case SL_SCTP_DATA:
        case SL_SCTP_IDATA: {
            sl_sctp_data data;
            sl_status st = sl_sctp_data_parse(&c, &data, &an);
            if (st == SL_INVALID) {
                t->st.data_chunks++;
                bad_chunk(t, a, d, &an);
                an = (sl_anomaly){0};
                continue; /* its length was right: the walk goes on */
            }
            if (st != SL_OK)
                break;
            a = assoc_for(t, a, &d, ts);
            if (a)
                on_data(t, a, d, &data);
            break;
        }
        case SL_SCTP_INIT:
        case SL_SCTP_INIT_ACK:
            /* a new association (or a restart): this direction's TSNs start again */
            a = assoc_for(t, a, &d, ts);
            if (a)
                dir_reset(t, a, d, "new association");
            break;
        case SL_SCTP_ABORT:
        case SL_SCTP_SHUTDOWN_COMPLETE: close = true; break;
        default: break;
        }
    }
    if (an.kind)
        bad_chunk(t, a, d, &an);
    if (close && a && t->cur == a) {
        t->st.closed++;
        assoc_free(t, a, "association closed");
    }
    while (sl_lru_over(&t->assocs) && oldest(t))
        evict(t, oldest(t), "memory cap");
    t->pkt = NULL;
    t->cur = NULL;
}

void sl_sctp_expire(sl_sctp_table *t, sl_time now)
{
    if (now > t->now)
        t->now = now;
    assoc *a;
    while ((a = oldest(t)) && t->now - a->last >= t->cfg.idle_timeout) {
        t->st.timeouts++;
        assoc_free(t, a, "idle timeout");
    }
}

void sl_sctp_flush(sl_sctp_table *t)
{
    /* the callbacks do not call back into the table: `next` stays valid */
    for (assoc *a = oldest(t), *next; a; a = next) {
        next = (assoc *)a->node.newer;
        assoc_free(t, a, "end of input");
    }
}

void sl_sctp_destroy(sl_sctp_table *t)
{
    if (!t)
        return;
    sl_sctp_flush(t);
    sl_lru_free(&t->assocs);
    free(t);
}

void sl_sctp_get_stats(const sl_sctp_table *t, sl_sctp_stats *out)
{
    *out = t->st;
    out->open = t->assocs.count;
}

size_t sl_sctp_memory(const sl_sctp_table *t)
{
    return t->assocs.bytes;
}
