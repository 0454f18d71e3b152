/* IPv4/IPv6 fragment reassembly: see include/sipsleuth/defrag.h for the
 * policy. Each train keeps its fragments as a list of non-overlapping pieces
 * sorted by offset, so memory follows the bytes received (a fragment at offset
 * 65528 costs 8 bytes, not a 64 KiB buffer). */
#include "sipsleuth/defrag.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hash.h"
#include "lru_table.h"

enum {
    IPV4_MAX_PAYLOAD = 65535 - 20,     /* total length field less the minimal header */
    IPV6_MAX_FRAGMENTABLE = 65535 - 8, /* payload length less the fragment header */
};

typedef struct piece {
    struct piece *next;
    uint32_t off, len;
    uint64_t frame; /* the fragment it came in (--extract) */
    uint8_t data[];
} piece;

typedef struct train {
    sl_lru_node node; /* first; the list is in creation order, for timeouts and eviction */
    sl_addr src, dst;
    uint8_t proto;
    uint32_t id;
    sl_time first_ts;
    piece *pieces; /* sorted by offset, non-overlapping */
    size_t npieces;
    uint32_t held;    /* payload bytes held */
    uint32_t max_end; /* highest byte offset + 1 held */
    uint32_t end;     /* datagram length, once the last fragment is in */
    bool has_end;
} train;

struct sl_defrag {
    sl_defrag_config cfg;
    sl_defrag_anomaly_fn fn;
    void *user;
    sl_lru trains; /* its bytes: everything held, the table and the output buffer */
    uint8_t *out;  /* the last completed datagram */
    size_t out_cap;
    sl_time now;
    sl_defrag_stats st;
};

void sl_defrag_config_default(sl_defrag_config *cfg)
{
    cfg->timeout = 30 * SL_NS_PER_SEC;
    cfg->max_trains = 4096;
    cfg->max_bytes = 32u << 20;
    cfg->max_frags = 256;
    cfg->seed = 0;
    cfg->frames = NULL;
}

static size_t addr_len(const sl_addr *a)
{
    return a->family == 6 ? 16 : 4;
}

static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

static uint64_t hash_of(const sl_defrag *d, const sl_packet *pkt)
{
    uint8_t key[2 + 4 + 32];
    size_t n = addr_len(&pkt->src);
    key[0] = pkt->src.family;
    key[1] = pkt->ip_proto;
    memcpy(key + 2, &pkt->frag.id, 4);
    memcpy(key + 6, pkt->src.bytes, n);
    memcpy(key + 6 + n, pkt->dst.bytes, n);
    return sl_hash_bytes(d->cfg.seed, key, 6 + 2 * n);
}

static void report(sl_defrag *d, sl_anomaly_kind kind, const train *t, const sl_packet *pkt,
                   sl_time ts, const char *detail)
{
    if (!d->fn)
        return;
    sl_flow flow;
    memset(&flow, 0, sizeof flow);
    flow.src = t ? t->src : pkt->src;
    flow.dst = t ? t->dst : pkt->dst;
    flow.proto = t ? t->proto : pkt->ip_proto;
    flow.outer = pkt;
    d->fn(d->user, kind, &flow, ts, detail);
}

static void report_train(sl_defrag *d, sl_anomaly_kind kind, const train *t, const sl_packet *pkt,
                         sl_time ts, const char *why)
{
    char detail[128];
    if (t->has_end)
        snprintf(detail, sizeof detail, "%s: id %u, %u of %u bytes in %zu pieces", why,
                 (unsigned)t->id, (unsigned)t->held, (unsigned)t->end, t->npieces);
    else
        snprintf(detail, sizeof detail, "%s: id %u, %u bytes in %zu pieces, last fragment missing",
                 why, (unsigned)t->id, (unsigned)t->held, t->npieces);
    report(d, kind, t, pkt, ts, detail);
}

static train *oldest(const sl_defrag *d)
{
    return (train *)d->trains.oldest;
}

static void train_free(sl_defrag *d, train *t)
{
    sl_lru_remove(&d->trains, &t->node);
    for (piece *p = t->pieces, *next; p; p = next) {
        next = p->next;
        sl_lru_release(&d->trains, sizeof *p + p->len);
        free(p);
    }
    d->st.bytes -= t->held;
    sl_lru_release(&d->trains, sizeof *t);
    free(t);
}

/* Evicts the oldest train other than `keep`; false when there is none. */
static bool evict_oldest(sl_defrag *d, const train *keep, const sl_packet *pkt, sl_time ts,
                         const char *why)
{
    train *victim = oldest(d);
    if (victim && victim == keep)
        victim = (train *)victim->node.newer;
    if (!victim)
        return false;
    report_train(d, SL_ANOM_IP_FRAG_EVICTED, victim, pkt, ts, why);
    d->st.evictions++;
    train_free(d, victim);
    return true;
}

sl_defrag *sl_defrag_new(const sl_defrag_config *cfg, sl_defrag_anomaly_fn fn, void *user)
{
    sl_defrag *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (cfg)
        d->cfg = *cfg;
    else
        sl_defrag_config_default(&d->cfg);
    if (d->cfg.max_trains == 0)
        d->cfg.max_trains = 1;
    if (d->cfg.max_frags == 0)
        d->cfg.max_frags = 1;
    d->fn = fn;
    d->user = user;
    /* about one bucket per train that can fit, so the table is part of the cap */
    size_t want = d->cfg.max_trains;
    if (want > d->cfg.max_bytes / 256)
        want = d->cfg.max_bytes / 256;
    if (!sl_lru_init(&d->trains, want > 16 ? want : 16, d->cfg.max_trains, d->cfg.max_bytes)) {
        free(d);
        return NULL;
    }
    sl_lru_charge(&d->trains, sizeof *d + sl_lru_bucket_bytes(&d->trains));
    return d;
}

void sl_defrag_expire(sl_defrag *d, sl_time now)
{
    if (now > d->now)
        d->now = now;
    train *t;
    while ((t = oldest(d)) && d->now - t->first_ts >= d->cfg.timeout) {
        report_train(d, SL_ANOM_IP_FRAG_TIMEOUT, t, NULL, d->now, "timeout");
        d->st.timeouts++;
        train_free(d, t);
    }
}

static train *find_or_create(sl_defrag *d, const sl_packet *pkt, sl_time ts)
{
    uint64_t h = hash_of(d, pkt);
    for (sl_lru_node *n = sl_lru_first(&d->trains, h); n; n = sl_lru_next(n)) {
        train *t = (train *)n;
        if (t->id == pkt->frag.id && t->proto == pkt->ip_proto && addr_eq(&t->src, &pkt->src) &&
            addr_eq(&t->dst, &pkt->dst))
            return t;
    }

    while (sl_lru_full(&d->trains) && evict_oldest(d, NULL, pkt, ts, "train cap"))
        ;
    train *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->src = pkt->src;
    t->dst = pkt->dst;
    t->proto = pkt->ip_proto;
    t->id = pkt->frag.id;
    t->first_ts = ts;
    sl_lru_insert(&d->trains, &t->node, h);
    sl_lru_charge(&d->trains, sizeof *t);
    return t;
}

static piece *piece_new(sl_defrag *d, uint32_t off, const uint8_t *src, uint32_t len,
                        uint64_t frame)
{
    piece *p = malloc(sizeof *p + len);
    if (!p)
        return NULL;
    p->off = off;
    p->len = len;
    p->frame = frame;
    memcpy(p->data, src, len);
    sl_lru_charge(&d->trains, sizeof *p + len);
    return p;
}

/* Adds the bytes [off, off+len) not yet held, first arrival winning.
 * *added: new bytes stored; *conflict: a repeated byte differed. */
static sl_status insert(sl_defrag *d, train *t, const sl_packet *pkt, uint32_t *added,
                        bool *conflict)
{
    const uint32_t off = pkt->frag.offset, len = (uint32_t)pkt->ip_payload.len;
    const uint8_t *data = pkt->ip_payload.ptr;
    uint32_t s = off;
    const uint32_t e = off + len;
    piece **pp = &t->pieces;
    *added = 0;
    *conflict = false;
    while (s < e) {
        piece *p = *pp;
        if (p && p->off + p->len <= s) {
            pp = &p->next;
            continue;
        }
        /* p (if any) ends after s: fill the hole before it, or compare with it */
        uint32_t hole_end = (!p || p->off >= e) ? e : (p->off > s ? p->off : s);
        if (hole_end > s) {
            piece *n = piece_new(d, s, data + (s - off), hole_end - s, pkt->frame);
            if (!n)
                return SL_NOMEM;
            n->next = p;
            *pp = n;
            pp = &n->next;
            t->npieces++;
            t->held += hole_end - s;
            d->st.bytes += hole_end - s;
            *added += hole_end - s;
            s = hole_end;
            continue;
        }
        uint32_t ov_end = p->off + p->len < e ? p->off + p->len : e;
        if (memcmp(data + (s - off), p->data + (s - p->off), ov_end - s) != 0)
            *conflict = true;
        s = ov_end;
        pp = &p->next;
    }
    if (e > t->max_end)
        t->max_end = e;
    return SL_OK;
}

/* Copies a complete train into the output buffer and frees it. */
static sl_status assemble(sl_defrag *d, train *t, sl_slice *out)
{
    if (d->out_cap < t->end) {
        uint8_t *nb = realloc(d->out, t->end);
        if (!nb)
            return SL_NOMEM;
        sl_lru_charge(&d->trains, t->end - d->out_cap);
        d->out = nb;
        d->out_cap = t->end;
    }
    if (d->cfg.frames)
        sl_frames_reset(d->cfg.frames, 0);
    for (const piece *p = t->pieces; p; p = p->next) {
        memcpy(d->out + p->off, p->data, p->len);
        if (d->cfg.frames)
            sl_frames_add(d->cfg.frames, p->frame); /* only fragments whose bytes are used */
    }
    *out = sl_slice_make(d->out, t->end);
    d->st.datagrams++;
    train_free(d, t);
    return SL_OK;
}

static sl_status reject(sl_defrag *d, const sl_packet *pkt, sl_time ts, sl_anomaly_kind kind,
                        const char *detail)
{
    d->st.rejected++;
    report(d, kind, NULL, pkt, ts, detail);
    return SL_INVALID;
}

/* The checks a fragment passes before it touches a train. */
static sl_status check_fragment(sl_defrag *d, const sl_packet *pkt, sl_time ts)
{
    char detail[128];
    if (!pkt->frag.is_fragment || (pkt->src.family != 4 && pkt->src.family != 6) ||
        pkt->src.family != pkt->dst.family)
        return reject(d, pkt, ts, SL_ANOM_IP_FRAG_INVALID, "not a fragment");
    if (pkt->truncated)
        return reject(d, pkt, ts, SL_ANOM_IP_FRAG_TRUNCATED, "fragment cut short by the snaplen");

    const uint64_t off = pkt->frag.offset, len = pkt->ip_payload.len;
    const uint64_t limit = pkt->src.family == 4 ? IPV4_MAX_PAYLOAD : IPV6_MAX_FRAGMENTABLE;
    if (off + len > limit) {
        snprintf(detail, sizeof detail, "id %u: fragment ends at %" PRIu64 ", beyond %" PRIu64,
                 (unsigned)pkt->frag.id, off + len, limit);
        return reject(d, pkt, ts, SL_ANOM_IP_FRAG_TOO_BIG, detail);
    }
    if (pkt->frag.more && (len == 0 || len % 8 != 0)) {
        snprintf(detail, sizeof detail, "id %u: non-last fragment of %" PRIu64 " bytes",
                 (unsigned)pkt->frag.id, len);
        return reject(d, pkt, ts, SL_ANOM_IP_FRAG_BAD_LENGTH, detail);
    }
    return SL_OK;
}

/* Checks the fragment against the datagram's end as far as known, and sets
 * the end when it is the last fragment. */
static sl_status check_end(sl_defrag *d, train *t, const sl_packet *pkt, sl_time ts)
{
    const uint32_t off = pkt->frag.offset, e = (uint32_t)(off + pkt->ip_payload.len);
    const bool more = pkt->frag.more;
    if ((!more && ((t->has_end && t->end != e) || t->max_end > e)) ||
        (more && t->has_end && e > t->end)) {
        char detail[128];
        snprintf(detail, sizeof detail, "id %u: fragment [%u, %u) disagrees with the end %u",
                 (unsigned)t->id, (unsigned)off, (unsigned)e,
                 (unsigned)(t->has_end ? t->end : t->max_end));
        return reject(d, pkt, ts, SL_ANOM_IP_FRAG_INCONSISTENT_END, detail);
    }
    if (!more) {
        t->has_end = true;
        t->end = e;
    }
    return SL_OK;
}

/* Stores the fragment's new bytes; reports the held bytes it rewrites and
 * counts it when it brought nothing new. */
static sl_status store(sl_defrag *d, train *t, const sl_packet *pkt, sl_time ts)
{
    const uint32_t off = pkt->frag.offset, len = (uint32_t)pkt->ip_payload.len;
    uint32_t added;
    bool conflict;
    sl_status st = insert(d, t, pkt, &added, &conflict);
    if (conflict) {
        d->st.overlaps++;
        char detail[128];
        snprintf(detail, sizeof detail,
                 "id %u: fragment [%u, %u) rewrites held bytes; the first ones are kept",
                 (unsigned)t->id, (unsigned)off, (unsigned)(off + len));
        report(d, SL_ANOM_IP_FRAG_OVERLAP, t, pkt, ts, detail);
    } else if (added == 0 && len > 0) {
        d->st.duplicates++;
    }
    if (st != SL_OK)
        report(d, SL_ANOM_IP_FRAG_NOMEM, t, pkt, ts, "allocation failed");
    return st;
}

/* The piece and memory caps once t has grown: older trains are evicted
 * first; t itself is freed when it breaks a cap on its own. */
static sl_status enforce_caps(sl_defrag *d, train *t, const sl_packet *pkt, sl_time ts)
{
    if (t->npieces > d->cfg.max_frags) {
        report_train(d, SL_ANOM_IP_FRAG_TOO_MANY, t, pkt, ts, "piece cap");
        d->st.rejected++;
        train_free(d, t);
        return SL_INVALID;
    }
    while (sl_lru_over(&d->trains) && evict_oldest(d, t, pkt, ts, "memory cap"))
        ;
    if (sl_lru_over(&d->trains)) {
        report_train(d, SL_ANOM_IP_FRAG_EVICTED, t, pkt, ts, "memory cap");
        d->st.evictions++;
        train_free(d, t);
        return SL_NOMEM;
    }
    return SL_OK;
}

sl_status sl_defrag_add(sl_defrag *d, const sl_packet *pkt, sl_time ts, sl_slice *out)
{
    *out = sl_slice_make(NULL, 0);
    d->st.fragments++;
    /* A fragment arriving after its train timed out starts a new one. */
    sl_defrag_expire(d, ts);

    sl_status st = check_fragment(d, pkt, ts);
    if (st != SL_OK)
        return st;
    train *t = find_or_create(d, pkt, ts);
    if (!t) {
        report(d, SL_ANOM_IP_FRAG_NOMEM, NULL, pkt, ts, "allocation failed");
        return SL_NOMEM;
    }
    st = check_end(d, t, pkt, ts);
    if (st == SL_OK)
        st = store(d, t, pkt, ts);
    if (st == SL_OK)
        st = enforce_caps(d, t, pkt, ts);
    if (st != SL_OK)
        return st;

    if (!t->has_end || t->held != t->end)
        return SL_PARTIAL;
    st = assemble(d, t, out);
    if (st != SL_OK) {
        report(d, SL_ANOM_IP_FRAG_NOMEM, t, pkt, ts, "allocation failed");
        return st;
    }
    if (d->cfg.frames && d->cfg.frames->overflow)
        report(d, SL_ANOM_EXTRACT_FRAMES_OVERFLOW, NULL, pkt, ts, "a reassembled datagram");
    while (sl_lru_over(&d->trains) && evict_oldest(d, NULL, pkt, ts, "memory cap"))
        ;
    return SL_OK;
}

void sl_defrag_flush(sl_defrag *d)
{
    for (train *t = oldest(d), *next; t; t = next) {
        next = (train *)t->node.newer;
        report_train(d, SL_ANOM_IP_FRAG_INCOMPLETE, t, NULL, d->now, "end of input");
        train_free(d, t);
    }
}

void sl_defrag_destroy(sl_defrag *d)
{
    if (!d)
        return;
    sl_defrag_flush(d);
    sl_lru_free(&d->trains);
    free(d->out);
    free(d);
}

void sl_defrag_get_stats(const sl_defrag *d, sl_defrag_stats *out)
{
    *out = d->st;
    out->trains = d->trains.count;
}

size_t sl_defrag_memory(const sl_defrag *d)
{
    return d->trains.bytes;
}
