/* TCP reassembly: see include/sipsleuth/tcp_stream.h. The connection table
 * (4-tuple hash, least recently active first, caps and eviction) and each
 * direction's sequence space (in-order point, held out-of-order segments,
 * holes); the in-order bytes go to the framing in tcp_framing.c. */
#include "tcp_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "hash.h"

void sl_tcp_config_default(sl_tcp_config *cfg)
{
    cfg->max_streams = 16384;
    cfg->max_bytes = 64u << 20;
    cfg->max_message = 256u << 10;
    cfg->max_ooo_bytes = 256u << 10;
    cfg->max_ooo_segments = 256;
    cfg->probe_limit = 16u << 10;
    cfg->idle_timeout = 300 * SL_NS_PER_SEC;
    cfg->reorder_window = SL_NS_PER_SEC;
    cfg->seed = 0;
    cfg->frames = NULL;
}

/* ---- sequence space ---- */

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static size_t seg_bytes(const seg *s)
{
    return s->cut ? 0 : s->len;
}

static void seg_free(sl_tcp_table *t, half *h, seg *s)
{
    h->ooo_bytes -= seg_bytes(s);
    h->ooo_count--;
    sl_lru_release(&t->conns, sizeof *s + seg_bytes(s));
    free(s);
}

/* Delivers the held segments that the in-order point has reached. */
static void drain(sl_tcp_table *t, conn *c, int d)
{
    half *h = &c->h[d];
    while (h->ooo && !seq_lt(h->next_seq, h->ooo->seq)) {
        seg *s = h->ooo;
        h->ooo = s->next;
        uint32_t skip = h->next_seq - s->seq;
        if (skip < s->len) {
            h->next_seq += s->len - skip;
            t->feed_frame = s->frame;
            if (s->cut) {
                sl_tcp_cut(t, c, d, s->len - skip);
            } else {
                t->st.retransmitted += skip;
                sl_tcp_feed(t, c, d, s->data + skip, s->len - skip);
            }
        } else if (!s->cut) {
            t->st.retransmitted += s->len;
        }
        seg_free(t, h, s);
    }
}

/* Skips the hole before the first held segment. */
static void gap(sl_tcp_table *t, conn *c, int d, const char *why)
{
    half *h = &c->h[d];
    if (!h->ooo)
        return;
    char detail[128];
    snprintf(detail, sizeof detail, "%u bytes missing (%s)%s",
             (unsigned)(h->ooo->seq - h->next_seq), why,
             h->len > 0 || h->ws_in_msg ? "; the unfinished message is dropped" : "");
    sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_GAP, detail);
    t->st.gaps++;
    sl_tcp_hole(t, c, d);
    h->next_seq = h->ooo->seq;
    drain(t, c, d);
}

static void acked_link(sl_tcp_table *t, conn *c, sl_time due)
{
    if (!t->acked || due < t->acked_due)
        t->acked_due = due;
    if (c->on_acked)
        return;
    c->on_acked = true;
    c->acked_prev = NULL;
    c->acked_next = t->acked;
    if (t->acked)
        t->acked->acked_prev = c;
    t->acked = c;
}

static void acked_unlink(sl_tcp_table *t, conn *c)
{
    if (!c->on_acked)
        return;
    c->on_acked = false;
    if (c->acked_prev)
        c->acked_prev->acked_next = c->acked_next;
    else
        t->acked = c->acked_next;
    if (c->acked_next)
        c->acked_next->acked_prev = c->acked_prev;
    c->acked_prev = c->acked_next = NULL;
}

/* The peer acknowledged past the hole: the bytes were sent and received.
 * A span port may still deliver them after the ACK, so the hole is waited
 * for reorder_window (capture time) from when it is seen acknowledged, then
 * skipped: the capture missed them. */
static void acked_hole(sl_tcp_table *t, conn *c, int d)
{
    half *h = &c->h[d];
    while (h->ooo && h->ack_known && !seq_lt(h->ack, h->ooo->seq)) {
        if (!h->hole_acked || h->hole_seq != h->next_seq) {
            h->hole_acked = true;
            h->hole_seq = h->next_seq;
            h->hole_acked_at = t->now;
        }
        if (t->now - h->hole_acked_at < t->cfg.reorder_window) {
            /* sl_tcp_expire skips it then, should no segment come */
            acked_link(t, c, h->hole_acked_at + t->cfg.reorder_window);
            return;
        }
        gap(t, c, d, "acknowledged but not captured");
    }
    h->hole_acked = false;
    if (!c->h[!d].hole_acked)
        acked_unlink(t, c);
}

/* p NULL: a cut range, no data */
static seg *seg_new(sl_tcp_table *t, uint32_t seq, const uint8_t *p, uint32_t len)
{
    const size_t bytes = p ? len : 0;
    seg *s = malloc(sizeof *s + bytes);
    if (!s)
        return NULL;
    s->seq = seq;
    s->len = len;
    s->cut = !p;
    s->frame = t->pkt ? t->pkt->frame : 0;
    if (p)
        memcpy(s->data, p, len);
    sl_lru_charge(&t->conns, sizeof *s + bytes);
    return s;
}

/* Holds a segment that lies ahead of the in-order point, keeping only the
 * bytes not held yet (first data wins); p NULL holds a cut range. Offsets are
 * taken relative to next_seq, where every held segment lies ahead. */
static void hold_ahead(sl_tcp_table *t, conn *c, int d, uint32_t seq, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    const uint32_t base = h->next_seq;
    uint64_t s = seq - base, e = s + n;
    seg **pp = &h->ooo;
    while (s < e) {
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): a NULL q fills the hole up to e
        seg *q = *pp;
        uint64_t qs = q ? (uint32_t)(q->seq - base) : e, qe = q ? qs + q->len : e;
        if (q && qe <= s) {
            pp = &q->next;
            continue;
        }
        uint64_t hole_end = qs >= e ? e : (qs > s ? qs : s);
        if (hole_end > s) {
            const uint8_t *from = p ? p + (s - (uint32_t)(seq - base)) : NULL;
            seg *ns = seg_new(t, base + (uint32_t)s, from, (uint32_t)(hole_end - s));
            if (!ns) {
                sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_NOMEM, "out-of-order segment dropped");
                return;
            }
            ns->next = q;
            *pp = ns;
            pp = &ns->next;
            h->ooo_bytes += seg_bytes(ns);
            h->ooo_count++;
            s = hole_end;
            continue;
        }
        uint64_t ov = (qe < e ? qe : e) - s;
        if (p)
            t->st.retransmitted += ov;
        s += ov;
        pp = &q->next;
    }
    while (h->ooo &&
           (h->ooo_bytes > t->cfg.max_ooo_bytes || h->ooo_count > t->cfg.max_ooo_segments))
        gap(t, c, d, "out-of-order limit");
}

/* Bytes [seq, seq + n) of direction d: p, or with p NULL a range the snap
 * length cut. */
static void take_in_order(sl_tcp_table *t, conn *c, int d, uint32_t seq, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    if (seq_lt(seq, h->next_seq)) {
        uint32_t old = h->next_seq - seq;
        if (old >= n) {
            if (p)
                t->st.retransmitted += n;
            return;
        }
        if (p) {
            t->st.retransmitted += old;
            p += old;
        }
        n -= old;
        seq = h->next_seq;
    }
    if (seq != h->next_seq) {
        hold_ahead(t, c, d, seq, p, n);
        return;
    }
    h->next_seq += (uint32_t)n;
    t->feed_frame = t->pkt ? t->pkt->frame : 0;
    if (p)
        sl_tcp_feed(t, c, d, p, n);
    else
        sl_tcp_cut(t, c, d, n);
    drain(t, c, d);
}

/* A segment's captured payload p[0..n), then `cut` bytes the capture did not
 * keep: those are no hole (the segment was seen), so they never wait. */
static void segment_data(sl_tcp_table *t, conn *c, int d, uint32_t seq, const uint8_t *p, size_t n,
                         uint32_t cut)
{
    if (n > 0)
        take_in_order(t, c, d, seq, p, n);
    if (cut > 0)
        take_in_order(t, c, d, seq + (uint32_t)n, NULL, cut);
}

/* ---- connections ---- */

static uint64_t endpoint_hash(const sl_tcp_table *t, const sl_addr *a, uint16_t port)
{
    uint8_t key[19];
    key[0] = a->family;
    memcpy(key + 1, a->bytes, 16);
    memcpy(key + 17, &port, 2);
    return sl_hash_bytes(t->cfg.seed, key, sizeof key);
}

static uint64_t hash_of(const sl_tcp_table *t, const sl_packet *pkt)
{
    /* symmetric: both directions land in the same bucket */
    uint64_t h = endpoint_hash(t, &pkt->src, pkt->sport) + endpoint_hash(t, &pkt->dst, pkt->dport);
    return sl_mix64(h);
}

static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static conn *lookup(sl_tcp_table *t, const sl_packet *pkt, int *dir)
{
    for (sl_lru_node *n = sl_lru_first(&t->conns, hash_of(t, pkt)); n; n = sl_lru_next(n)) {
        conn *c = (conn *)n;
        for (int d = 0; d < 2; d++) {
            if (c->port[d] == pkt->sport && c->port[!d] == pkt->dport &&
                addr_eq(&c->addr[d], &pkt->src) && addr_eq(&c->addr[!d], &pkt->dst)) {
                *dir = d;
                return c;
            }
        }
    }
    return NULL;
}

static conn *oldest(const sl_tcp_table *t)
{
    return (conn *)t->conns.oldest;
}

static void touch(sl_tcp_table *t, conn *c, sl_time ts)
{
    c->last = ts;
    sl_lru_touch(&t->conns, &c->node);
}

/* Skips the remaining holes; the framing reports what stays unfinished. */
static void flush_half(sl_tcp_table *t, conn *c, int d, const char *why)
{
    half *h = &c->h[d];
    while (h->ooo)
        gap(t, c, d, why);
    sl_tcp_framing_end(t, c, d, why);
    h->done = true;
}

static void conn_free(sl_tcp_table *t, conn *c)
{
    sl_lru_remove(&t->conns, &c->node);
    acked_unlink(t, c);
    for (int d = 0; d < 2; d++) {
        half *h = &c->h[d];
        while (h->ooo) {
            seg *s = h->ooo;
            h->ooo = s->next;
            seg_free(t, h, s);
        }
        sl_tcp_framing_free(t, h);
    }
    if (t->cur == c)
        t->cur = NULL;
    sl_tcp_tls_conn_free(t, c);
    sl_lru_release(&t->conns, sizeof *c);
    free(c);
}

static void conn_close(sl_tcp_table *t, conn *c, const char *why)
{
    for (int d = 0; d < 2; d++)
        if (!c->h[d].done)
            flush_half(t, c, d, why);
    conn_free(t, c);
}

static bool holds_sip(const conn *c)
{
    for (int d = 0; d < 2; d++) {
        const half *h = &c->h[d];
        if (h->len > 0 || h->ooo || h->mode == M_SIP || h->mode == M_WS || h->mode == M_HEP)
            return true;
    }
    return false;
}

static void evict(sl_tcp_table *t, conn *c, const char *why)
{
    t->st.evictions++;
    if (holds_sip(c)) {
        char detail[96];
        snprintf(detail, sizeof detail, "least recently active connection evicted (%s)", why);
        sl_tcp_anomaly(t, c, 0, SL_ANOM_TCP_STREAM_EVICTED, detail);
    }
    conn_close(t, c, why);
}

static conn *conn_new(sl_tcp_table *t, const sl_packet *pkt, sl_time ts)
{
    while (sl_lru_full(&t->conns) && oldest(t))
        evict(t, oldest(t), "stream cap");
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->addr[0] = pkt->src;
    c->addr[1] = pkt->dst;
    c->port[0] = pkt->sport;
    c->port[1] = pkt->dport;
    sl_lru_insert(&t->conns, &c->node, hash_of(t, pkt));
    sl_lru_charge(&t->conns, sizeof *c);
    t->st.streams++;
    c->last = ts;
    return c;
}

sl_tcp_table *sl_tcp_new(const sl_tcp_config *cfg, const sl_tcp_callbacks *cb)
{
    sl_tcp_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (cfg)
        t->cfg = *cfg;
    else
        sl_tcp_config_default(&t->cfg);
    if (cb)
        t->cb = *cb;
    if (t->cfg.max_streams == 0)
        t->cfg.max_streams = 1;
    if (t->cfg.max_message == 0)
        t->cfg.max_message = 1;
    /* about one bucket per connection that fits, so the table is part of the cap */
    size_t want = t->cfg.max_streams;
    if (want > t->cfg.max_bytes / 512)
        want = t->cfg.max_bytes / 512;
    if (!sl_lru_init(&t->conns, want > 16 ? want : 16, t->cfg.max_streams, t->cfg.max_bytes)) {
        free(t);
        return NULL;
    }
    sl_lru_charge(&t->conns, sizeof *t + sl_lru_bucket_bytes(&t->conns));
    return t;
}

/* A SYN on c's direction d: a new connection on the same ports replaces c
 * when its ISN is another, or the same one after data has flowed (a
 * retransmitted SYN cannot follow data). Returns the segment's connection
 * (NULL when out of memory), with *seq moved past the SYN. */
static conn *on_syn(sl_tcp_table *t, const sl_packet *pkt, sl_time ts, conn *c, int *d,
                    uint32_t *seq)
{
    half *h = &c->h[*d];
    if (h->syn ? *seq != h->isn || h->next_seq != h->isn + 1 : h->started) {
        conn_close(t, c, "reused ports");
        c = conn_new(t, pkt, ts);
        if (!c)
            return NULL;
        t->cur = c;
        *d = 0;
        h = &c->h[0];
    }
    if (!h->syn) {
        h->syn = h->started = true;
        h->isn = *seq;
        h->next_seq = *seq + 1;
    }
    (*seq)++; /* the SYN takes one sequence number; data (TFO) follows */
    return c;
}

/* After a segment either side may be complete (an ACK can skip the peer's
 * last hole), and then the connection. */
static void settle(sl_tcp_table *t, conn *c)
{
    for (int k = 0; k < 2; k++) {
        half *e = &c->h[k];
        acked_hole(t, c, k);
        if (e->fin && !e->done && (!e->started || !seq_lt(e->next_seq, e->fin_seq)))
            flush_half(t, c, k, "FIN");
    }
    if (c->h[0].done && c->h[1].done) {
        t->st.closed++;
        conn_free(t, c);
    }
}

void sl_tcp_segment(sl_tcp_table *t, const sl_packet *pkt, sl_time ts)
{
    t->st.segments++;
    if (ts > t->now)
        t->now = ts;
    const uint8_t flags = pkt->tcp.flags;
    const bool syn = flags & SL_TCP_SYN;
    int d = 0;
    conn *c = lookup(t, pkt, &d);
    if (!c) {
        /* nothing to learn from an ACK, FIN or RST of an unknown connection */
        if ((flags & SL_TCP_RST) || (pkt->payload.len == 0 && pkt->tcp.cut == 0 && !syn))
            return;
        c = conn_new(t, pkt, ts);
        if (!c)
            return;
    }
    t->pkt = pkt;
    t->cur = c;
    touch(t, c, ts);
    half *h = &c->h[d];

    if (flags & SL_TCP_RST) {
        t->st.closed++;
        conn_close(t, c, "RST");
        goto out;
    }
    half *peer = &c->h[!d];
    if ((flags & SL_TCP_ACK) && (!peer->ack_known || seq_lt(peer->ack, pkt->tcp.ack))) {
        peer->ack = pkt->tcp.ack;
        peer->ack_known = true;
    }
    uint32_t seq = pkt->tcp.seq;
    if (syn) {
        c = on_syn(t, pkt, ts, c, &d, &seq);
        if (!c)
            goto out;
        h = &c->h[d];
    }
    /* a TCP payload fits in an IP datagram: well under 2^31, and cut too */
    const uint32_t cut = pkt->tcp.cut;
    if ((pkt->payload.len > 0 || cut > 0) && !h->done) {
        if (!h->started) {
            h->started = true;
            h->next_seq = seq;
        }
        segment_data(t, c, d, seq, pkt->payload.ptr, pkt->payload.len, cut);
    }
    if ((flags & SL_TCP_FIN) && !h->fin) {
        h->fin = true;
        h->fin_seq = seq + (uint32_t)pkt->payload.len + cut;
    }
    settle(t, c);
out:
    while (sl_lru_over(&t->conns) && oldest(t))
        evict(t, oldest(t), "memory cap");
    t->pkt = NULL;
    t->cur = NULL;
}

void sl_tcp_expire(sl_tcp_table *t, sl_time now)
{
    if (now > t->now)
        t->now = now;
    if (t->acked && t->now >= t->acked_due) {
        sl_time next = INT64_MAX;
        for (conn *c = t->acked, *after; c; c = after) {
            after = c->acked_next;
            for (int d = 0; d < 2; d++)
                acked_hole(t, c, d);
            for (int d = 0; d < 2; d++)
                if (c->on_acked && c->h[d].hole_acked &&
                    c->h[d].hole_acked_at + t->cfg.reorder_window < next)
                    next = c->h[d].hole_acked_at + t->cfg.reorder_window;
        }
        t->acked_due = next;
    }
    conn *c;
    while ((c = oldest(t)) && t->now - c->last >= t->cfg.idle_timeout) {
        t->st.timeouts++;
        conn_close(t, c, "idle timeout");
    }
}

void sl_tcp_flush(sl_tcp_table *t)
{
    while (oldest(t))
        conn_close(t, oldest(t), "end of input");
}

void sl_tcp_destroy(sl_tcp_table *t)
{
    if (!t)
        return;
    sl_tcp_flush(t);
    sl_lru_free(&t->conns);
    free(t);
}

void sl_tcp_get_stats(const sl_tcp_table *t, sl_tcp_stats *out)
{
    *out = t->st;
    out->open = t->conns.count;
    out->buffered = 0;
    for (const conn *c = oldest(t); c; c = (const conn *)c->node.newer)
        for (int d = 0; d < 2; d++)
            out->buffered += c->h[d].len + c->h[d].ooo_bytes + c->h[d].ws_len;
}

size_t sl_tcp_memory(const sl_tcp_table *t)
{
    return t->conns.bytes;
}
