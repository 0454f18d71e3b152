/* SCTP associations: see include/sipsleuth/sctp_assoc.h. The association
 * table (address pair and ports, least recently active first, caps and
 * eviction), each direction's window of TSNs seen, and the fragments held
 * until their user message is complete. The bytes come from the pure chunk
 * walk in dissectors/sctp.c. */
#include "sipsleuth/sctp_assoc.h"

#include <stdio.h>
#include <stdlib.h>

#include "hash.h"
#include "lru_table.h"
#include "sipsleuth/sctp.h"

enum {
    TSN_WINDOW = 1024,  /* TSNs remembered per direction, up to the highest seen */
    TSN_RESYNC = 65536, /* an older TSN than this starts the window again */
    MAX_FRAGS = 1024,   /* fragments held per direction */
};

typedef struct frag {
    struct frag *prev, *next; /* sorted: DATA by TSN, then I-DATA by stream, MID, FSN */
    bool idata, begin, end, unordered;
    uint16_t sid;
    uint32_t tsn, mid, fsn;
    size_t len;
    uint8_t data[];
} frag;

typedef struct half {
    bool started; /* hi and seen are set */
    uint32_t hi;  /* the highest TSN seen */
    uint64_t seen[TSN_WINDOW / 64];
    frag *head, *tail;
    size_t nfrags;
    /* the rest of a message dropped for its size: the next fragment expected */
    bool dropping, drop_idata, drop_unordered;
    uint16_t drop_sid;
    uint32_t drop_next, drop_mid;
} half;

typedef struct assoc {
    sl_lru_node node; /* first; the list is in activity order */
    sl_addr addr[2];  /* addr[0]/port[0]: the sender of the first packet seen */
    uint16_t port[2];
    sl_time last;
    half h[2]; /* h[d]: chunks sent by addr[d] */
} assoc;

struct sl_sctp_table {
    sl_sctp_config cfg;
    sl_sctp_callbacks cb;
    sl_lru assocs; /* its bytes: everything the associations hold, and the table */
    sl_time now;
    const sl_packet *pkt; /* the packet being processed, and its association */
    const assoc *cur;
    sl_sctp_stats st;
};

void sl_sctp_config_default(sl_sctp_config *cfg)
{
    cfg->max_assocs = 16384;
    cfg->max_bytes = 32u << 20;
    cfg->max_message = 256u << 10;
    cfg->idle_timeout = 300 * SL_NS_PER_SEC;
    cfg->seed = 0;
}

/* ---- reporting ---- */

static sl_flow assoc_flow(const sl_sctp_table *t, const assoc *a, int d)
{
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = a->addr[d];
    f.dst = a->addr[!d];
    f.sport = a->port[d];
    f.dport = a->port[!d];
    f.proto = SL_IPPROTO_SCTP;
    f.outer = a == t->cur ? t->pkt : NULL;
    return f;
}

static void anomaly(sl_sctp_table *t, const assoc *a, int d, sl_anomaly_kind kind,
                    const char *detail)
{
    if (!t->cb.on_anomaly)
        return;
    sl_flow f = a ? assoc_flow(t, a, d) : sl_flow_from_packet(t->pkt, SL_IPPROTO_SCTP);
    t->cb.on_anomaly(t->cb.user, kind, &f, t->now, detail);
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

/* ---- fragments ---- */

static int cmp_u32(uint32_t a, uint32_t b)
{
    int32_t d = (int32_t)(a - b); /* serial-number order */
    return d < 0 ? -1 : d > 0;
}

/* Order of two fragments (see frag.prev); 0: the same fragment. */
static int frag_cmp(const frag *a, const frag *b)
{
    if (a->idata != b->idata)
        return a->idata ? 1 : -1;
    if (!a->idata)
        return cmp_u32(a->tsn, b->tsn);
    if (a->unordered != b->unordered)
        return a->unordered ? 1 : -1;
    if (a->sid != b->sid)
        return a->sid < b->sid ? -1 : 1;
    if (a->mid != b->mid)
        return cmp_u32(a->mid, b->mid);
    return a->fsn < b->fsn ? -1 : a->fsn > b->fsn;
}

/* True when b is the fragment right after a in one user message. */
static bool follows(const frag *a, const frag *b)
{
    if (a->end || b->begin || a->idata != b->idata || a->sid != b->sid ||
        a->unordered != b->unordered)
        return false;
    if (a->idata)
        return a->mid == b->mid && b->fsn == a->fsn + 1;
    return b->tsn == a->tsn + 1;
}

static void frag_unlink(sl_sctp_table *t, half *h, frag *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        h->head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        h->tail = f->prev;
    h->nfrags--;
    t->st.buffered -= f->len;
    sl_lru_release(&t->assocs, sizeof *f + f->len);
    free(f);
}

/* Frees the fragments first..last (a run in list order); returns their count. */
static size_t drop_run(sl_sctp_table *t, half *h, frag *first, const frag *last)
{
    size_t n = 0;
    for (;;) {
        frag *next = first->next;
        bool at_last = first == last;
        frag_unlink(t, h, first);
        n++;
        if (at_last || !next)
            return n;
        first = next;
    }
}

/* The run of fragments of one message that f belongs to, as far as present. */
static void run_of(frag *f, frag **first, frag **last, size_t *bytes)
{
    size_t n = f->len;
    frag *a = f, *b = f;
    while (a->prev && follows(a->prev, a)) {
        a = a->prev;
        n += a->len;
    }
    while (b->next && follows(b, b->next)) {
        b = b->next;
        n += b->len;
    }
    *first = a;
    *last = b;
    *bytes = n;
}

/* Drops the run at the head of the list: the oldest fragments, which can no longer complete. */
static void drop_head(sl_sctp_table *t, assoc *a, int d, const char *why)
{
    half *h = &a->h[d];
    frag *first, *last;
    size_t bytes;
    run_of(h->head, &first, &last, &bytes);
    size_t n = drop_run(t, h, first, last);
    t->st.dropped_fragments += n;
    char detail[128];
    snprintf(detail, sizeof detail,
             "%zu fragments (%zu bytes) of an unfinished message dropped (%s)", n, bytes, why);
    anomaly(t, a, d, SL_ANOM_SCTP_REASSEMBLY_GAP, detail);
}

static void deliver(sl_sctp_table *t, const assoc *a, int d, const uint8_t *p, size_t n,
                    bool truncated)
{
    t->st.messages++;
    if (!t->cb.on_message)
        return;
    sl_flow f = assoc_flow(t, a, d);
    t->cb.on_message(t->cb.user, p, n, t->now, &f, truncated);
}

/* A message over max_message: reported, and the fragments still to come are dropped. */
static void too_large(sl_sctp_table *t, assoc *a, int d, const frag *last, size_t bytes)
{
    half *h = &a->h[d];
    t->st.too_large++;
    char detail[96];
    snprintf(detail, sizeof detail, "user message of more than %zu bytes dropped", bytes);
    anomaly(t, a, d, SL_ANOM_SCTP_MESSAGE_TOO_LARGE, detail);
    h->dropping = !last->end;
    h->drop_idata = last->idata;
    h->drop_unordered = last->unordered;
    h->drop_sid = last->sid;
    h->drop_mid = last->mid;
    h->drop_next = last->idata ? last->fsn + 1 : last->tsn + 1;
}

/* A fragment of the message being dropped for its size: dropped too. */
static bool drop_following(sl_sctp_table *t, half *h, const sl_sctp_data *c)
{
    if (!h->dropping || c->begin || c->idata != h->drop_idata || c->sid != h->drop_sid ||
        c->unordered != h->drop_unordered)
        return false;
    if (c->idata ? c->ssn != h->drop_mid || c->fsn != h->drop_next : c->tsn != h->drop_next)
        return false;
    h->drop_next++;
    h->dropping = !c->end;
    t->st.dropped_fragments++;
    return true;
}

static void hold_fragment(sl_sctp_table *t, assoc *a, int d, const sl_sctp_data *c)
{
    half *h = &a->h[d];
    if (drop_following(t, h, c))
        return;
    frag *f = malloc(sizeof *f + c->payload.len);
    if (!f) {
        anomaly(t, a, d, SL_ANOM_SCTP_NOMEM, "fragment dropped");
        return;
    }
    *f = (frag){.idata = c->idata,
                .begin = c->begin,
                .end = c->end,
                .unordered = c->unordered,
                .sid = c->sid,
                .tsn = c->tsn,
                .mid = c->ssn,
                .fsn = c->fsn,
                .len = c->payload.len};
    memcpy(f->data, c->payload.ptr, c->payload.len);
    frag *at = h->tail; /* insert after the last one ordered before f */
    while (at && frag_cmp(at, f) > 0)
        at = at->prev;
    if (at && frag_cmp(at, f) == 0) { /* the same fragment under another TSN */
        t->st.duplicates++;
        free(f);
        return;
    }
    f->prev = at;
    f->next = at ? at->next : h->head;
    if (f->next)
        f->next->prev = f;
    else
        h->tail = f;
    if (at)
        at->next = f;
    else
        h->head = f;
    h->nfrags++;
    t->st.buffered += f->len;
    sl_lru_charge(&t->assocs, sizeof *f + f->len);

    frag *first, *last;
    size_t bytes;
    run_of(f, &first, &last, &bytes);
    if (bytes > t->cfg.max_message) {
        too_large(t, a, d, last, bytes);
        t->st.dropped_fragments += drop_run(t, h, first, last);
    } else if (first->begin && last->end) {
        uint8_t *msg = malloc(bytes ? bytes : 1);
        if (!msg) {
            anomaly(t, a, d, SL_ANOM_SCTP_NOMEM, "reassembled message dropped");
            t->st.dropped_fragments += drop_run(t, h, first, last);
            return;
        }
        size_t n = 0;
        for (frag *k = first;; k = k->next) {
            memcpy(msg + n, k->data, k->len);
            n += k->len;
            if (k == last)
                break;
        }
        drop_run(t, h, first, last);
        t->st.reassembled++;
        deliver(t, a, d, msg, n, false);
        free(msg);
    }
}

/* Drops what can no longer complete: DATA fragments left behind the TSN
 * window (the TSNs between were seen, or missed by the capture), and the
 * oldest fragments over the per-direction count. */
static void prune(sl_sctp_table *t, assoc *a, int d)
{
    half *h = &a->h[d];
    while (h->head && !h->head->idata && h->hi - h->head->tsn >= TSN_WINDOW &&
           h->hi - h->head->tsn < 0x80000000u)
        drop_head(t, a, d, "TSNs missing");
    while (h->nfrags > MAX_FRAGS)
        drop_head(t, a, d, "fragment limit");
}

/* Drops a direction's fragments and TSN window (a new association, the end of one). */
static void dir_reset(sl_sctp_table *t, assoc *a, int d, const char *why)
{
    half *h = &a->h[d];
    while (h->head)
        drop_head(t, a, d, why);
    memset(h, 0, sizeof *h);
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
        deliver(t, a, d, c->payload.ptr, c->payload.len, c->truncated);
    else
        hold_fragment(t, a, d, c);
    if (h->head)
        prune(t, a, d);
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
        anomaly(t, a, 0, SL_ANOM_SCTP_ASSOC_EVICTED, detail);
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
    anomaly(t, a, d, an->kind, detail);
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
