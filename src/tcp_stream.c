/* TCP reassembly and SIP framing: see include/sipsleuth/tcp_stream.h.
 *
 * Each direction ("half") runs one state machine over its in-order bytes:
 *
 *   START ──SIP start line──▶ SIP ◀──start line found── RESYNC
 *     │                        │ unparsable / gap / too large ──▶ RESYNC
 *     ├──"GET "/"HTTP/"──▶ HTTP ──Upgrade to SIP WebSocket──▶ WS
 *     └──no start line within probe_limit──▶ NOT_SIP (bytes dropped, counted)
 *
 * In-order bytes are parsed where they lie (the packet, or a held segment);
 * only the unfinished tail of a unit (a message, a WebSocket frame header, a
 * candidate start line) is copied into the half's buffer, and once the unit
 * completes the rest of the segment is parsed in place again. */
#include "sipsleuth/tcp_stream.h"

#include <stdio.h>
#include <stdlib.h>

#include "hash.h"
#include "sipsleuth/sip.h"
#include "sipsleuth/websocket.h"

#define HTTP_HEAD_MAX 8192

typedef enum mode { M_START, M_SIP, M_RESYNC, M_HTTP, M_WS, M_NOT_SIP } mode;

typedef struct seg {
    struct seg *next;
    uint32_t seq, len;
    uint8_t data[];
} seg;

typedef struct half {
    mode mode;
    bool started;   /* next_seq is known */
    bool syn;       /* isn is known */
    bool fin;       /* fin_seq is known */
    bool done;      /* everything up to the FIN was delivered */
    bool probing;   /* RESYNC from the start of the stream: bounded by probe_limit */
    bool after_gap; /* RESYNC: the next byte follows a hole, so may start a line */
    bool http_response;
    uint32_t isn, next_seq, fin_seq;

    seg *ooo; /* held out-of-order segments, sorted, non-overlapping */
    size_t ooo_bytes, ooo_count;

    uint8_t *buf; /* the unfinished unit */
    size_t len, cap;
    size_t skip;    /* bytes to drop before parsing on (a message over the cap) */
    size_t scanned; /* bytes searched for a first start line */

    /* parse hints for the unfinished SIP message, relative to its start */
    bool tried;      /* parsed once already */
    size_t hdr_scan; /* bytes known to hold no blank line */
    size_t need;     /* total length it needs, when known */

    /* WebSocket: the current frame and the message being assembled */
    uint64_t ws_left; /* payload bytes of the current frame still to come */
    uint64_t ws_pos;  /* payload bytes of the current frame seen */
    uint8_t ws_mask[4];
    bool ws_masked, ws_fin, ws_ctrl, ws_in_msg, ws_drop;
    uint8_t *ws;
    size_t ws_len, ws_cap;
} half;

typedef struct conn {
    struct conn *hnext;       /* hash chain */
    struct conn *prev, *next; /* activity order: least recent first */
    size_t bucket;
    sl_addr addr[2]; /* addr[0]/port[0]: the sender of the first segment seen */
    uint16_t port[2];
    sl_time last;
    bool ws_requested;
    half h[2]; /* h[d]: data sent by addr[d] */
} conn;

struct sl_tcp_table {
    sl_tcp_config cfg;
    sl_tcp_callbacks cb;
    conn **buckets;
    size_t nbuckets;
    conn *oldest, *newest;
    size_t mem;
    sl_time now;
    const sl_packet *pkt; /* the segment being processed, and its connection */
    const conn *cur;
    sl_tcp_stats st;
};

void sl_tcp_config_default(sl_tcp_config *cfg)
{
    cfg->max_streams = 16384;
    cfg->max_bytes = 64u << 20;
    cfg->max_message = 256u << 10;
    cfg->max_ooo_bytes = 256u << 10;
    cfg->max_ooo_segments = 256;
    cfg->probe_limit = 16u << 10;
    cfg->idle_timeout = 300 * SL_NS_PER_SEC;
    cfg->seed = 0;
}

/* ---- reporting ---- */

static sl_flow flow_of(const sl_tcp_table *t, const conn *c, int d)
{
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = c->addr[d];
    f.dst = c->addr[!d];
    f.sport = c->port[d];
    f.dport = c->port[!d];
    f.proto = SL_IPPROTO_TCP;
    f.outer = c == t->cur ? t->pkt : NULL;
    return f;
}

static void anomaly(sl_tcp_table *t, const conn *c, int d, const char *kind, const char *detail)
{
    if (!t->cb.on_anomaly)
        return;
    sl_flow f = flow_of(t, c, d);
    t->cb.on_anomaly(t->cb.user, kind, &f, t->now, detail);
}

static void deliver(sl_tcp_table *t, const conn *c, int d, const uint8_t *msg, size_t len)
{
    t->st.messages++;
    if (!t->cb.on_message)
        return;
    sl_flow f = flow_of(t, c, d);
    t->cb.on_message(t->cb.user, msg, len, t->now, &f);
}

static void deliver_parsed(sl_tcp_table *t, const conn *c, int d, const uint8_t *data,
                           const sl_sip_msg *msg)
{
    t->st.messages++;
    sl_flow f = flow_of(t, c, d);
    t->cb.on_sip(t->cb.user, msg, data, t->now, &f);
}

/* ---- owned buffers, charged to the table ---- */

static bool reserve(sl_tcp_table *t, uint8_t **buf, size_t *cap, size_t want)
{
    if (want <= *cap)
        return true;
    size_t n = *cap ? *cap : 512;
    while (n < want)
        n *= 2;
    uint8_t *nb = realloc(*buf, n);
    if (!nb)
        return false;
    t->mem += n - *cap;
    *buf = nb;
    *cap = n;
    return true;
}

static void release(sl_tcp_table *t, uint8_t **buf, size_t *len, size_t *cap)
{
    free(*buf);
    t->mem -= *cap;
    *buf = NULL;
    *len = *cap = 0;
}

static void reset_hints(half *h)
{
    h->tried = false;
    h->hdr_scan = h->need = 0;
}

/* ---- framing steps: each parses what it can at the start of p[0..n) ----
 * They return false when they need more bytes, true to go on; *used is what
 * they consumed (possibly 0 when they changed mode). */

static bool step_start(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    (void)t;
    (void)c;
    half *h = &c->h[d];
    size_t k = sl_sip_skip_keepalive(p, n);
    if (k > 0) {
        *used = k;
        return true;
    }
    static const char get[] = "GET ", http[] = "HTTP/";
    size_t g = n < 4 ? n : 4, r = n < 5 ? n : 5;
    if (memcmp(p, get, g) == 0 || memcmp(p, http, r) == 0) {
        if (n < 5)
            return false; /* a prefix of either */
        h->http_response = p[0] == 'H';
        h->mode = M_HTTP;
        return true;
    }
    switch (sl_sip_probe(p, n)) {
    case SL_OK: h->mode = M_SIP; return true;
    case SL_PARTIAL: return false;
    default:
        h->mode = M_RESYNC;
        h->probing = true;
        return true;
    }
}

/* Offset just past the first empty line at or after `from`, or 0. */
static size_t blank_line_end(const uint8_t *p, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++) {
        const uint8_t *lf = memchr(p + i, '\n', n - i);
        if (!lf)
            return 0;
        i = (size_t)(lf - p);
        if (i + 1 < n && p[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static bool step_sip(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    size_t k = sl_sip_skip_keepalive(p, n);
    if (k > 0) {
        *used = k;
        return true;
    }
    /* Re-parsing an unfinished message for every segment would be quadratic:
     * parse again only once its head is complete, then once its body is. */
    if (h->need ? n < h->need : h->tried && !blank_line_end(p, n, h->hdr_scan)) {
        h->hdr_scan = n >= 2 ? n - 2 : 0;
        return false;
    }
    /* With the caller's header array, the parse that frames the message is
     * also the one it is analysed with (TCP messages were parsed twice). */
    sl_sip_msg msg = {.headers = t->cb.headers, .max_headers = t->cb.max_headers};
    sl_anomaly an = {0};
    sl_status st = sl_sip_parse(p, n, SL_SIP_STREAM, &msg, &an);
    h->tried = true;
    if (st == SL_OK) {
        if (t->cb.on_sip && t->cb.headers)
            deliver_parsed(t, c, d, p, &msg);
        else
            deliver(t, c, d, p, msg.length);
        reset_hints(h);
        *used = msg.length;
        return true;
    }
    if (st == SL_PARTIAL) {
        size_t head = blank_line_end(p, n, 0);
        h->need = 0;
        if (head) {
            /* the head is complete: learn the length from its Content-Length */
            sl_sip_msg m = {0};
            if (sl_sip_parse(p, head, SL_SIP_DATAGRAM, &m, NULL) == SL_OK && m.has_content_length &&
                m.content_length > n - head)
                h->need = head + (size_t)m.content_length;
        } else {
            h->hdr_scan = n >= 2 ? n - 2 : 0;
        }
        return false;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "%s at offset %zu; searching for the next message",
             an.kind ? an.kind : "sip_invalid", an.offset);
    anomaly(t, c, d, "tcp_sip_invalid", detail);
    t->st.invalid++;
    reset_hints(h);
    h->mode = M_RESYNC;
    return true;
}

/* Looks for a line that starts like a SIP message after an LF (or right
 * after a hole: segments often begin with a message). */
static bool step_resync(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    size_t from = 0;
    if (h->after_gap) {
        sl_status st = sl_sip_probe(p, n);
        if (st == SL_PARTIAL)
            return false;
        h->after_gap = false;
        if (st == SL_OK) {
            h->mode = M_SIP;
            h->probing = false;
            return true;
        }
    }
    for (;;) {
        const uint8_t *lf = memchr(p + from, '\n', n - from);
        if (!lf) {
            *used = n;
            break;
        }
        size_t cand = (size_t)(lf - p) + 1;
        sl_status st = sl_sip_probe(p + cand, n - cand);
        if (st == SL_OK) {
            *used = cand;
            t->st.skipped += cand;
            h->mode = M_SIP;
            h->probing = false;
            return true;
        }
        if (st == SL_PARTIAL) {
            *used = cand - 1; /* keep the LF: the candidate is checked again */
            break;
        }
        from = cand;
    }
    t->st.skipped += *used;
    return false;
}

static void not_sip(sl_tcp_table *t, half *h)
{
    h->mode = M_NOT_SIP;
    t->st.not_sip_streams++;
}

static bool step_http(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    size_t head;
    bool sip_ws;
    sl_status st = sl_ws_handshake(p, n, h->http_response, &head, &sip_ws);
    if (st == SL_PARTIAL) {
        if (n < HTTP_HEAD_MAX)
            return false;
        st = SL_INVALID;
    }
    if (st != SL_OK || !sip_ws || (h->http_response && !c->ws_requested)) {
        not_sip(t, h);
        /* a refused upgrade: the client side does not speak WebSocket either */
        if (h->http_response && c->h[!d].mode == M_WS)
            not_sip(t, &c->h[!d]);
        return true;
    }
    if (!h->http_response)
        c->ws_requested = true;
    h->mode = M_WS;
    *used = head;
    return true;
}

/* The end of a WebSocket frame's payload. */
static void ws_frame_end(sl_tcp_table *t, conn *c, int d)
{
    half *h = &c->h[d];
    if (h->ws_ctrl) {
        h->ws_ctrl = false;
        return;
    }
    if (!h->ws_fin)
        return;
    if (!h->ws_drop && h->ws_len > 0) { /* an empty message is no SIP message */
        t->st.ws_messages++;
        deliver(t, c, d, h->ws, h->ws_len);
    }
    release(t, &h->ws, &h->ws_len, &h->ws_cap);
    h->ws_in_msg = h->ws_drop = false;
}

static bool step_ws(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    if (h->ws_left > 0) {
        size_t take = n < h->ws_left ? n : (size_t)h->ws_left;
        if (!h->ws_ctrl && !h->ws_drop) {
            /* the length was checked against the cap when the header came */
            if (!reserve(t, &h->ws, &h->ws_cap, h->ws_len + take)) {
                anomaly(t, c, d, "tcp_nomem", "WebSocket message dropped");
                h->ws_drop = true;
            } else {
                /* an unmasked frame has an all-zero mask: this copies it */
                sl_ws_unmask(h->ws + h->ws_len, p, take, h->ws_mask, h->ws_pos);
                h->ws_len += take;
            }
        }
        h->ws_left -= take;
        h->ws_pos += take;
        *used = take;
        if (h->ws_left == 0)
            ws_frame_end(t, c, d);
        return true;
    }

    sl_ws_frame f;
    sl_anomaly an = {0};
    sl_status st = sl_ws_frame_parse(p, n, &f, &an);
    if (st == SL_PARTIAL)
        return false;
    if (st != SL_OK) {
        anomaly(t, c, d, "ws_invalid_frame", an.kind ? an.kind : "ws_invalid");
        not_sip(t, h);
        return true;
    }
    *used = f.header_len;
    h->ws_left = f.payload_len;
    h->ws_pos = 0;
    h->ws_masked = f.masked;
    memcpy(h->ws_mask, f.mask, 4);
    h->ws_fin = f.fin;
    h->ws_ctrl = f.opcode >= SL_WS_CLOSE;
    if (!h->ws_ctrl) {
        if (f.opcode != SL_WS_CONTINUATION) {
            if (h->ws_in_msg && !h->ws_drop)
                anomaly(t, c, d, "ws_message_incomplete", "a new message began before FIN");
            h->ws_len = 0;
            h->ws_in_msg = true;
            h->ws_drop = false;
        } else if (!h->ws_in_msg) {
            anomaly(t, c, d, "ws_unexpected_continuation", "continuation frame outside a message");
            h->ws_in_msg = h->ws_drop = true;
        }
        if (!h->ws_drop && f.payload_len > t->cfg.max_message - h->ws_len) {
            char detail[96];
            snprintf(detail, sizeof detail, "WebSocket message over %zu bytes dropped",
                     t->cfg.max_message);
            anomaly(t, c, d, "tcp_message_too_large", detail);
            t->st.too_large++;
            h->ws_drop = true;
            release(t, &h->ws, &h->ws_len, &h->ws_cap);
        }
        /* A whole unmasked message in place: deliver it without a copy. */
        if (!h->ws_drop && h->ws_fin && !h->ws_masked && h->ws_len == 0 && f.payload_len > 0 &&
            f.payload_len <= n - f.header_len) {
            t->st.ws_messages++;
            deliver(t, c, d, p + f.header_len, (size_t)f.payload_len);
            h->ws_left = 0;
            h->ws_in_msg = false;
            *used += (size_t)f.payload_len;
            return true;
        }
    }
    if (h->ws_left == 0)
        ws_frame_end(t, c, d);
    return true;
}

/* Runs the steps over p[0..n) until one needs more bytes, or until `stop`
 * bytes are consumed; returns the bytes consumed. */
static size_t run(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t stop)
{
    half *h = &c->h[d];
    size_t off = 0;
    while (off < n && off < stop) {
        if (h->skip > 0) {
            size_t k = n - off < h->skip ? n - off : h->skip;
            h->skip -= k;
            off += k;
            continue;
        }
        mode before = h->mode;
        size_t used = 0;
        bool go_on = false;
        switch (h->mode) {
        case M_START: go_on = step_start(t, c, d, p + off, n - off, &used); break;
        case M_SIP: go_on = step_sip(t, c, d, p + off, n - off, &used); break;
        case M_RESYNC: go_on = step_resync(t, c, d, p + off, n - off, &used); break;
        case M_HTTP: go_on = step_http(t, c, d, p + off, n - off, &used); break;
        case M_WS: go_on = step_ws(t, c, d, p + off, n - off, &used); break;
        case M_NOT_SIP: t->st.not_sip_bytes += n - off; return n;
        }
        off += used;
        if (h->probing) {
            h->scanned += used;
            if (h->scanned > t->cfg.probe_limit) {
                h->probing = false;
                not_sip(t, h);
            }
        }
        if (!go_on || (used == 0 && h->mode == before))
            break;
    }
    return off;
}

/* The unfinished unit outgrew max_message. */
static void too_large(sl_tcp_table *t, conn *c, int d)
{
    half *h = &c->h[d];
    char detail[96];
    switch (h->mode) {
    case M_SIP:
        t->st.too_large++;
        if (h->need > h->len) {
            h->skip = h->need - h->len; /* skip the rest of it, stay in step */
            snprintf(detail, sizeof detail, "message of %zu bytes dropped (cap %zu)", h->need,
                     t->cfg.max_message);
        } else {
            h->mode = M_RESYNC;
            snprintf(detail, sizeof detail, "unfinished message over %zu bytes dropped",
                     t->cfg.max_message);
        }
        anomaly(t, c, d, "tcp_message_too_large", detail);
        break;
    case M_HTTP:
    case M_WS: not_sip(t, h); break;
    default: t->st.skipped += h->len; break;
    }
    reset_hints(h);
    h->len = 0;
}

/* Holds p[0..n) as the start of the unfinished unit. */
static bool hold(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    if (!reserve(t, &h->buf, &h->cap, h->len + n)) {
        anomaly(t, c, d, "tcp_nomem", "unfinished data dropped");
        return false;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    return true;
}

/* Feeds newly in-order bytes to the direction's framing. */
static void feed(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    const size_t cap = t->cfg.max_message;
    while (n > 0) {
        if (h->mode == M_NOT_SIP) {
            t->st.not_sip_bytes += n;
            break;
        }
        if (h->len == 0) {
            size_t used = run(t, c, d, p, n, n);
            p += used;
            n -= used;
            if (n == 0 || h->mode == M_NOT_SIP)
                continue;
            if (n > cap) {
                bool searching = h->mode == M_START || h->mode == M_RESYNC;
                too_large(t, c, d);
                if (searching) {
                    t->st.skipped += n;
                    n = 0;
                }
                continue;
            }
            if (!hold(t, c, d, p, n))
                too_large(t, c, d);
            break;
        }
        size_t room = cap > h->len ? cap - h->len : 0;
        if (room == 0) {
            too_large(t, c, d);
            continue;
        }
        size_t take = n < room ? n : room, old = h->len;
        if (!hold(t, c, d, p, take)) {
            too_large(t, c, d);
            continue;
        }
        p += take;
        n -= take;
        size_t used = run(t, c, d, h->buf, h->len, old);
        if (used >= old) {
            /* the unit that needed the copy is done: go on in place */
            size_t back = h->len - used;
            p -= back;
            n += back;
            h->len = 0;
        } else {
            memmove(h->buf, h->buf + used, h->len - used);
            h->len -= used;
        }
    }
    if (h->len == 0 && h->buf)
        release(t, &h->buf, &h->len, &h->cap);
}

/* ---- sequence space ---- */

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static void seg_free(sl_tcp_table *t, half *h, seg *s)
{
    h->ooo_bytes -= s->len;
    h->ooo_count--;
    t->mem -= sizeof *s + s->len;
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
            t->st.retransmitted += skip;
            feed(t, c, d, s->data + skip, s->len - skip);
        } else {
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
    anomaly(t, c, d, "tcp_gap", detail);
    t->st.gaps++;
    switch (h->mode) {
    case M_START:
    case M_SIP:
        h->probing = h->mode == M_START; /* still looking for the first start line */
        h->mode = M_RESYNC;
        break;
    case M_HTTP:
    case M_WS: not_sip(t, h); break;
    default: break;
    }
    t->st.skipped += h->len;
    h->len = h->skip = 0;
    reset_hints(h);
    h->ws_left = 0;
    h->ws_in_msg = h->ws_drop = h->ws_ctrl = false;
    if (h->ws)
        release(t, &h->ws, &h->ws_len, &h->ws_cap);
    h->after_gap = h->mode == M_RESYNC;
    h->next_seq = h->ooo->seq;
    drain(t, c, d);
}

static seg *seg_new(sl_tcp_table *t, uint32_t seq, const uint8_t *p, uint32_t len)
{
    seg *s = malloc(sizeof *s + len);
    if (!s)
        return NULL;
    s->seq = seq;
    s->len = len;
    memcpy(s->data, p, len);
    t->mem += sizeof *s + len;
    return s;
}

/* Holds a segment that lies ahead of the in-order point, keeping only the
 * bytes not held yet (first data wins). Offsets are taken relative to
 * next_seq, where every held segment lies ahead. */
static void hold_ahead(sl_tcp_table *t, conn *c, int d, uint32_t seq, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    const uint32_t base = h->next_seq;
    uint64_t s = seq - base, e = s + n;
    seg **pp = &h->ooo;
    while (s < e) {
        seg *q = *pp;
        uint64_t qs = q ? (uint32_t)(q->seq - base) : e, qe = q ? qs + q->len : e;
        if (q && qe <= s) {
            pp = &q->next;
            continue;
        }
        uint64_t hole_end = qs >= e ? e : (qs > s ? qs : s);
        if (hole_end > s) {
            seg *ns =
                seg_new(t, base + (uint32_t)s, p + (s - (seq - base)), (uint32_t)(hole_end - s));
            if (!ns) {
                anomaly(t, c, d, "tcp_nomem", "out-of-order segment dropped");
                return;
            }
            ns->next = q;
            *pp = ns;
            pp = &ns->next;
            h->ooo_bytes += ns->len;
            h->ooo_count++;
            s = hole_end;
            continue;
        }
        uint64_t ov = (qe < e ? qe : e) - s;
        t->st.retransmitted += ov;
        s += ov;
        pp = &q->next;
    }
    while (h->ooo &&
           (h->ooo_bytes > t->cfg.max_ooo_bytes || h->ooo_count > t->cfg.max_ooo_segments))
        gap(t, c, d, "out-of-order limit");
}

static void segment_data(sl_tcp_table *t, conn *c, int d, uint32_t seq, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    if (seq_lt(seq, h->next_seq)) {
        uint32_t old = h->next_seq - seq;
        if (old >= n) {
            t->st.retransmitted += n;
            return;
        }
        t->st.retransmitted += old;
        p += old;
        n -= old;
        seq = h->next_seq;
    }
    if (seq != h->next_seq) {
        hold_ahead(t, c, d, seq, p, n);
        return;
    }
    h->next_seq += (uint32_t)n;
    feed(t, c, d, p, n);
    drain(t, c, d);
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

static size_t bucket_of(const sl_tcp_table *t, const sl_packet *pkt)
{
    /* symmetric: both directions land in the same bucket */
    uint64_t h = endpoint_hash(t, &pkt->src, pkt->sport) + endpoint_hash(t, &pkt->dst, pkt->dport);
    return (size_t)sl_mix64(h) & (t->nbuckets - 1);
}

static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static conn *lookup(sl_tcp_table *t, const sl_packet *pkt, int *dir)
{
    for (conn *c = t->buckets[bucket_of(t, pkt)]; c; c = c->hnext) {
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

static void list_unlink(sl_tcp_table *t, conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        t->oldest = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        t->newest = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(sl_tcp_table *t, conn *c)
{
    c->prev = t->newest;
    if (t->newest)
        t->newest->next = c;
    else
        t->oldest = c;
    t->newest = c;
}

static void touch(sl_tcp_table *t, conn *c, sl_time ts)
{
    c->last = ts;
    if (t->newest != c) {
        list_unlink(t, c);
        list_append(t, c);
    }
}

/* Skips the remaining holes, reports what stays unfinished, frees buffers. */
static void flush_half(sl_tcp_table *t, conn *c, int d, const char *why)
{
    half *h = &c->h[d];
    while (h->ooo)
        gap(t, c, d, why);
    if ((h->mode == M_SIP && h->len > 0) || (h->mode == M_WS && h->ws_in_msg && !h->ws_drop)) {
        char detail[96];
        snprintf(detail, sizeof detail, "%zu bytes of an unfinished message dropped (%s)",
                 h->mode == M_SIP ? h->len : h->ws_len, why);
        anomaly(t, c, d, "tcp_incomplete_message", detail);
    }
    if (h->buf)
        release(t, &h->buf, &h->len, &h->cap);
    if (h->ws)
        release(t, &h->ws, &h->ws_len, &h->ws_cap);
    h->done = true;
}

static void conn_free(sl_tcp_table *t, conn *c)
{
    for (conn **pp = &t->buckets[c->bucket]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
    list_unlink(t, c);
    for (int d = 0; d < 2; d++) {
        half *h = &c->h[d];
        while (h->ooo) {
            seg *s = h->ooo;
            h->ooo = s->next;
            seg_free(t, h, s);
        }
        if (h->buf)
            release(t, &h->buf, &h->len, &h->cap);
        if (h->ws)
            release(t, &h->ws, &h->ws_len, &h->ws_cap);
    }
    if (t->cur == c)
        t->cur = NULL;
    t->mem -= sizeof *c;
    t->st.open--;
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
        if (h->len > 0 || h->ooo || h->mode == M_SIP || h->mode == M_WS)
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
        anomaly(t, c, 0, "tcp_stream_evicted", detail);
    }
    conn_close(t, c, why);
}

static conn *conn_new(sl_tcp_table *t, const sl_packet *pkt, sl_time ts)
{
    while (t->st.open >= t->cfg.max_streams && t->oldest)
        evict(t, t->oldest, "stream cap");
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->addr[0] = pkt->src;
    c->addr[1] = pkt->dst;
    c->port[0] = pkt->sport;
    c->port[1] = pkt->dport;
    c->bucket = bucket_of(t, pkt);
    c->hnext = t->buckets[c->bucket];
    t->buckets[c->bucket] = c;
    t->mem += sizeof *c;
    t->st.open++;
    t->st.streams++;
    c->last = ts;
    list_append(t, c);
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
    t->nbuckets = 16;
    while (t->nbuckets < want)
        t->nbuckets <<= 1;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->mem = sizeof *t + t->nbuckets * sizeof *t->buckets;
    return t;
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
        if ((flags & SL_TCP_RST) || (pkt->payload.len == 0 && !syn))
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
    /* The peer acknowledges bytes beyond a hole: they were sent and received,
     * the capture missed them; waiting longer cannot help. */
    half *peer = &c->h[!d];
    if ((flags & SL_TCP_ACK) && peer->ooo && !seq_lt(pkt->tcp.ack, peer->ooo->seq) &&
        seq_lt(peer->next_seq, pkt->tcp.ack))
        gap(t, c, !d, "acknowledged but not captured");
    uint32_t seq = pkt->tcp.seq;
    if (syn) {
        /* A new connection on the same ports: another ISN, or the same one
         * after data has flowed (a retransmitted SYN cannot follow data). */
        if (h->syn ? seq != h->isn || h->next_seq != h->isn + 1 : h->started) {
            conn_close(t, c, "reused ports");
            c = conn_new(t, pkt, ts);
            if (!c)
                goto out;
            t->cur = c;
            d = 0;
            h = &c->h[0];
        }
        if (!h->syn) {
            h->syn = h->started = true;
            h->isn = seq;
            h->next_seq = seq + 1;
        }
        seq++; /* the SYN takes one sequence number; data (TFO) follows */
    }
    if (pkt->payload.len > 0 && !h->done) {
        if (!h->started) {
            h->started = true;
            h->next_seq = seq;
        }
        segment_data(t, c, d, seq, pkt->payload.ptr, pkt->payload.len);
    }
    if ((flags & SL_TCP_FIN) && !h->fin) {
        h->fin = true;
        h->fin_seq = seq + (uint32_t)pkt->payload.len;
    }
    /* either side may be complete now (an ACK can skip the peer's last hole) */
    for (int k = 0; k < 2; k++) {
        half *e = &c->h[k];
        if (e->fin && !e->done && (!e->started || !seq_lt(e->next_seq, e->fin_seq)))
            flush_half(t, c, k, "FIN");
    }
    if (c->h[0].done && c->h[1].done) {
        t->st.closed++;
        conn_free(t, c);
    }
out:
    while (t->mem > t->cfg.max_bytes && t->oldest)
        evict(t, t->oldest, "memory cap");
    t->pkt = NULL;
    t->cur = NULL;
}

void sl_tcp_expire(sl_tcp_table *t, sl_time now)
{
    if (now > t->now)
        t->now = now;
    while (t->oldest && t->now - t->oldest->last >= t->cfg.idle_timeout) {
        t->st.timeouts++;
        conn_close(t, t->oldest, "idle timeout");
    }
}

void sl_tcp_flush(sl_tcp_table *t)
{
    while (t->oldest)
        conn_close(t, t->oldest, "end of input");
}

void sl_tcp_destroy(sl_tcp_table *t)
{
    if (!t)
        return;
    sl_tcp_flush(t);
    free(t->buckets);
    free(t);
}

void sl_tcp_get_stats(const sl_tcp_table *t, sl_tcp_stats *out)
{
    *out = t->st;
    out->buffered = 0;
    for (const conn *c = t->oldest; c; c = c->next)
        for (int d = 0; d < 2; d++)
            out->buffered += c->h[d].len + c->h[d].ooo_bytes + c->h[d].ws_len;
}

size_t sl_tcp_memory(const sl_tcp_table *t)
{
    return t->mem;
}
