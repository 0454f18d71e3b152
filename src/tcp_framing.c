/* SIP framing of TCP streams: see include/sipsleuth/tcp_stream.h.
 *
 * Each direction ("half") runs one state machine over its in-order bytes:
 *
 *   START ──SIP start line──▶ SIP ◀──start line found── RESYNC
 *     │                        │ unparsable / gap / too large ──▶ RESYNC
 *     ├──"GET "/"HTTP/"──▶ HTTP ──Upgrade to SIP WebSocket──▶ WS
 *     ├──"HEP3" (with on_hep)──▶ HEP
 *     └──no start line within probe_limit──▶ NOT_SIP (bytes dropped, counted)
 *
 * The HTTP and WS steps are in tcp_websocket.c, the HEP step in tcp_hep.c.
 *
 * In-order bytes are parsed where they lie (the packet, or a held segment);
 * only the unfinished tail of a unit (a message, a WebSocket frame header, a
 * candidate start line) is copied into the half's buffer, and once the unit
 * completes the rest of the segment is parsed in place again. */
#include "tcp_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "sipsleuth/sip.h"

/* Longest start-line candidate held while a message is being dropped: a
 * request line is far shorter; body text is not held by the kilobyte. */
#define RESYNC_HOLD 512

static void deliver_parsed(sl_tcp_table *t, const conn *c, int d, const uint8_t *data,
                           const sl_sip_msg *msg)
{
    t->st.messages++;
    sl_tcp_prov_collect(t, c, d, data, msg->length);
    sl_flow f = sl_tcp_flow(t, c, d);
    t->cb.on_sip(t->cb.user, msg, data, t->now, &f);
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
    half *h = &c->h[d];
    size_t k = sl_sip_skip_keepalive(p, n);
    if (k > 0) {
        *used = k;
        return true;
    }
    if (t->cb.on_hep && memcmp(p, "HEP3", n < 4 ? n : 4) == 0) {
        if (n < 4)
            return false;
        h->mode = M_HEP;
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

/* A message whose declared length is over the cap: reported once, never
 * buffered. Its body is dropped while looking for the next start line. */
static void oversized(sl_tcp_table *t, conn *c, int d, size_t head, uint64_t total, size_t *used)
{
    half *h = &c->h[d];
    char detail[96];
    snprintf(detail, sizeof detail, "message of %llu bytes dropped (cap %zu)",
             (unsigned long long)total, t->cfg.max_message);
    sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_MESSAGE_TOO_LARGE, detail);
    t->st.too_large++;
    reset_hints(h);
    *used = head;
    h->mode = M_RESYNC;
    h->discard = total - head > SIZE_MAX ? SIZE_MAX : (size_t)(total - head);
    h->after_gap = true; /* a lying length: the next message may follow the head */
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
        if (msg.length > t->cfg.max_message) {
            oversized(t, c, d, msg.length - msg.body.len, msg.length, used);
            return true;
        }
        if (t->cb.on_sip && t->cb.headers)
            deliver_parsed(t, c, d, p, &msg);
        else
            sl_tcp_deliver(t, c, d, p, msg.length);
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
            if (sl_sip_parse(p, head, SL_SIP_DATAGRAM, &m, NULL) == SL_OK && m.has_content_length) {
                const size_t cap = t->cfg.max_message;
                if (head > cap || m.content_length > cap - head) {
                    uint64_t total =
                        m.content_length > UINT64_MAX - head ? UINT64_MAX : head + m.content_length;
                    oversized(t, c, d, head, total, used);
                    return true;
                }
                if (m.content_length > n - head)
                    h->need = head + (size_t)m.content_length;
            }
        } else {
            h->hdr_scan = n >= 2 ? n - 2 : 0;
        }
        return false;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "%s at offset %zu; searching for the next message",
             an.kind ? sl_anomaly_name(an.kind) : "sip_invalid", an.offset);
    sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_SIP_INVALID, detail);
    t->st.invalid++;
    reset_hints(h);
    h->mode = M_RESYNC;
    return true;
}

static void found_start(half *h)
{
    h->mode = M_SIP;
    h->probing = false;
    h->discard = 0;
}

/* Searching, n bytes are dropped unseen (they could not be held). */
static void drop_searching(sl_tcp_table *t, half *h, size_t n)
{
    t->st.skipped += n;
    h->after_gap = false;
    if (h->discard == 0)
        return;
    if (n == h->discard)
        found_start(h);
    else /* past the declared end: that next message's start is lost too */
        h->discard = n < h->discard ? h->discard - n : 0;
}

/* A start line at p[cand..)? While a message is being dropped, a candidate
 * must end before the message's declared end (else it is body text running
 * into the next message), and is waited for only while short. */
static sl_status probe_at(const half *h, const uint8_t *p, size_t n, size_t cand)
{
    if (h->discard == 0)
        return sl_sip_probe(p + cand, n - cand);
    const bool end_seen = h->discard <= n;
    sl_status st = sl_sip_probe(p + cand, (end_seen ? h->discard : n) - cand);
    if (st == SL_PARTIAL && (end_seen || n - cand > RESYNC_HOLD))
        return SL_INVALID;
    return st;
}

/* Looks for a line that starts like a SIP message after an LF (or right
 * after a hole: segments often begin with a message). While a message is
 * being dropped, its declared end bounds the search and is where SIP resumes. */
static bool step_resync(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    const size_t lim = h->discard > 0 && h->discard < n ? h->discard : n;
    size_t from = 0;
    if (h->after_gap) {
        sl_status st = probe_at(h, p, n, 0);
        if (st == SL_PARTIAL)
            return false;
        h->after_gap = false;
        if (st == SL_OK) {
            found_start(h);
            return true;
        }
    }
    for (;;) {
        const uint8_t *lf = from < lim ? memchr(p + from, '\n', lim - from) : NULL;
        if (!lf) {
            *used = lim;
            break;
        }
        size_t cand = (size_t)(lf - p) + 1;
        sl_status st = probe_at(h, p, n, cand);
        if (st == SL_OK) {
            *used = cand;
            t->st.skipped += cand;
            found_start(h);
            return true;
        }
        if (st == SL_PARTIAL) {
            *used = cand - 1; /* keep the LF: the candidate is checked again */
            break;
        }
        from = cand;
    }
    t->st.skipped += *used;
    if (h->discard > 0) {
        h->discard -= *used;
        if (h->discard == 0) {
            found_start(h); /* the dropped message's declared end */
            return true;
        }
    }
    return false;
}

/* Runs the steps over p[0..n) until one needs more bytes, or until `stop`
 * bytes are consumed; returns the bytes consumed. */
static size_t run(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t stop)
{
    half *h = &c->h[d];
    size_t off = 0;
    while (off < n && off < stop) {
        mode before = h->mode;
        size_t used = 0;
        bool go_on = false;
        switch (h->mode) {
        case M_START: go_on = step_start(t, c, d, p + off, n - off, &used); break;
        case M_SIP: go_on = step_sip(t, c, d, p + off, n - off, &used); break;
        case M_RESYNC: go_on = step_resync(t, c, d, p + off, n - off, &used); break;
        case M_HTTP: go_on = sl_tcp_step_http(t, c, d, p + off, n - off, &used); break;
        case M_WS: go_on = sl_tcp_step_ws(t, c, d, p + off, n - off, &used); break;
        case M_HEP: go_on = sl_tcp_step_hep(t, c, d, p + off, n - off, &used); break;
        case M_NOT_SIP: t->st.not_sip_bytes += n - off; return n;
        }
        off += used;
        if (h->probing) {
            h->scanned += used;
            if (h->scanned > t->cfg.probe_limit) {
                h->probing = false;
                sl_tcp_not_sip(t, h);
            }
        }
        if (!go_on || (used == 0 && h->mode == before))
            break;
    }
    return off;
}

/* The unfinished unit outgrew max_message. */
static void drop_too_large(sl_tcp_table *t, conn *c, int d)
{
    half *h = &c->h[d];
    char detail[96];
    switch (h->mode) {
    case M_SIP:
        /* a declared length over the cap never gets here (oversized): this
         * is a head over the cap, or a buffer that could not grow */
        t->st.too_large++;
        h->mode = M_RESYNC;
        h->discard = h->need > h->len ? h->need - h->len : 0; /* in step when known */
        snprintf(detail, sizeof detail, "unfinished message over %zu bytes dropped",
                 t->cfg.max_message);
        sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_MESSAGE_TOO_LARGE, detail);
        break;
    case M_HTTP:
    case M_WS: sl_tcp_not_sip(t, h); break;
    case M_HEP: /* a packet is never over the cap: its buffer could not grow */
        t->st.skipped += h->len;
        h->hep_lost = true;
        break;
    default: drop_searching(t, h, h->len); break;
    }
    reset_hints(h);
    h->len = 0;
}

/* Holds p[0..n) as the start of the unfinished unit. */
static bool hold(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
{
    half *h = &c->h[d];
    if (!sl_tcp_reserve(t, &h->buf, &h->cap, h->len + n)) {
        sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_NOMEM, "unfinished data dropped");
        return false;
    }
    if (t->cfg.frames)
        sl_tcp_prov_hold(t, h);
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    return true;
}

/* Feeds newly in-order (and, over TLS, decrypted) bytes to the direction's framing. */
void sl_tcp_frame(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n)
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
                drop_too_large(t, c, d);
                if (searching) {
                    drop_searching(t, h, n);
                    n = 0;
                }
                continue;
            }
            if (!hold(t, c, d, p, n)) {
                drop_too_large(t, c, d);
                if (h->mode == M_RESYNC) /* keep a known message end in step */
                    drop_searching(t, h, n);
            }
            break;
        }
        size_t room = cap > h->len ? cap - h->len : 0;
        if (room == 0) {
            drop_too_large(t, c, d);
            continue;
        }
        size_t take = n < room ? n : room, old = h->len;
        if (!hold(t, c, d, p, take)) {
            drop_too_large(t, c, d);
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
            sl_tcp_prov_shift(h, used);
            h->len -= used;
        }
    }
    if (h->len == 0 && h->buf)
        sl_tcp_release(t, &h->buf, &h->len, &h->cap);
}

/* ---- what the connection table asks of the framing ---- */

void sl_tcp_framing_gap(sl_tcp_table *t, conn *c, int d)
{
    half *h = &c->h[d];
    switch (h->mode) {
    case M_START:
    case M_SIP:
        h->probing = h->mode == M_START; /* still looking for the first start line */
        h->mode = M_RESYNC;
        break;
    case M_HTTP:
    case M_WS: sl_tcp_not_sip(t, h); break;
    case M_HEP: h->hep_lost = true; break;
    default: break;
    }
    t->st.skipped += h->len;
    h->len = h->discard = 0;
    reset_hints(h);
    h->ws_left = 0;
    h->ws_in_msg = h->ws_drop = h->ws_ctrl = false;
    if (h->ws)
        sl_tcp_release(t, &h->ws, &h->ws_len, &h->ws_cap);
    h->after_gap = h->mode == M_RESYNC;
}

/* The message the snap length cut: data[0..len) captured, `lost` bytes not. */
static void report_cut(sl_tcp_table *t, const conn *c, int d, const uint8_t *data, size_t len,
                       size_t lost)
{
    t->st.truncated++;
    if (t->cb.on_truncated) {
        sl_tcp_prov_collect(t, c, d, data, len);
        sl_flow f = sl_tcp_flow(t, c, d);
        t->cb.on_truncated(t->cb.user, data, len, lost, t->now, &f);
        return;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "%zu bytes captured, %zu cut by the snap length", len, lost);
    sl_tcp_anomaly(t, c, d, SL_ANOM_TRUNCATED_MESSAGE, detail);
}

/* Searching (START, RESYNC), the held bytes may be a start line the cut ends
 * (kept after an LF, or right after a hole): then they begin a message. */
static bool held_start(const half *h, size_t *off)
{
    *off = h->len > 0 && h->buf[0] == '\n';
    return h->len > *off && sl_sip_probe(h->buf + *off, h->len - *off) == SL_PARTIAL;
}

void sl_tcp_framing_cut(sl_tcp_table *t, conn *c, int d, size_t n)
{
    half *h = &c->h[d];
    size_t off;
    switch (h->mode) {
    case M_SIP: {
        const size_t have = h->len, need = h->need;
        report_cut(t, c, d, h->buf, h->len, n);
        if (need > have && need - have >= n) {
            /* its Content-Length was read: the rest of it is dropped in step */
            h->discard = need - have - n;
            if (h->discard > 0)
                h->mode = M_RESYNC;
            h->after_gap = false;
        } else {
            h->mode = M_RESYNC; /* the next message began in the cut bytes */
            h->after_gap = true;
        }
        break;
    }
    case M_START:
    case M_RESYNC:
        if (held_start(h, &off)) {
            report_cut(t, c, d, h->buf + off, h->len - off, n);
            h->discard = 0;
        } else {
            drop_searching(t, h, h->len);
        }
        if (h->mode == M_START) {
            h->mode = M_RESYNC;
            h->probing = true; /* still looking for the first start line */
        }
        if (h->mode == M_RESYNC) /* bytes within a dropped message: no start line there */
            drop_searching(t, h, n);
        h->after_gap = h->mode == M_RESYNC && h->discard == 0;
        break;
    case M_WS:
        if (h->ws_left >= n) {
            /* inside a frame: its length keeps the framing in step */
            if (!h->ws_ctrl && h->ws_in_msg && !h->ws_drop) {
                report_cut(t, c, d, h->ws, h->ws_len, n);
                h->ws_drop = true;
            }
            h->ws_left -= n;
            h->ws_pos += n;
            if (h->ws_left == 0)
                sl_tcp_ws_frame_end(t, c, d);
            break;
        }
        if (h->ws_in_msg && !h->ws_drop)
            report_cut(t, c, d, h->ws, h->ws_len, n);
        sl_tcp_not_sip(t, h); /* a frame header was cut: the framing is lost */
        break;
    case M_HTTP: sl_tcp_not_sip(t, h); break;
    case M_HEP: sl_tcp_hep_cut(t, c, d, n); break;
    case M_NOT_SIP: t->st.not_sip_bytes += n; break;
    }
    reset_hints(h);
    if (h->buf)
        sl_tcp_release(t, &h->buf, &h->len, &h->cap);
}

void sl_tcp_framing_end(sl_tcp_table *t, conn *c, int d, const char *why)
{
    half *h = &c->h[d];
    const bool held = h->len > 0 && (h->mode == M_SIP || (h->mode == M_HEP && !h->hep_lost));
    if (held || (h->mode == M_WS && h->ws_in_msg && !h->ws_drop)) {
        char detail[96];
        snprintf(detail, sizeof detail, "%zu bytes of an unfinished message dropped (%s)",
                 h->mode == M_WS ? h->ws_len : h->len, why);
        sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_INCOMPLETE_MESSAGE, detail);
    }
    sl_tcp_framing_free(t, h);
}

void sl_tcp_framing_free(sl_tcp_table *t, half *h)
{
    sl_tcp_prov_free(t, h);
    if (h->buf)
        sl_tcp_release(t, &h->buf, &h->len, &h->cap);
    if (h->ws)
        sl_tcp_release(t, &h->ws, &h->ws_len, &h->ws_cap);
}
