/* SIP framing of TCP streams: see include/sipsleuth/tcp_stream.h.
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
#include "tcp_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "sipsleuth/sip.h"
#include "sipsleuth/websocket.h"

#define HTTP_HEAD_MAX 8192

/* ---- delivery ---- */

static void deliver(sl_tcp_table *t, const conn *c, int d, const uint8_t *msg, size_t len)
{
    t->st.messages++;
    if (!t->cb.on_message)
        return;
    sl_flow f = sl_tcp_flow(t, c, d);
    t->cb.on_message(t->cb.user, msg, len, t->now, &f);
}

static void deliver_parsed(sl_tcp_table *t, const conn *c, int d, const uint8_t *data,
                           const sl_sip_msg *msg)
{
    t->st.messages++;
    sl_flow f = sl_tcp_flow(t, c, d);
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
    sl_tcp_anomaly(t, c, d, "tcp_sip_invalid", detail);
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
                sl_tcp_anomaly(t, c, d, "tcp_nomem", "WebSocket message dropped");
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
        sl_tcp_anomaly(t, c, d, "ws_invalid_frame", an.kind ? an.kind : "ws_invalid");
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
                sl_tcp_anomaly(t, c, d, "ws_message_incomplete", "a new message began before FIN");
            h->ws_len = 0;
            h->ws_in_msg = true;
            h->ws_drop = false;
        } else if (!h->ws_in_msg) {
            sl_tcp_anomaly(t, c, d, "ws_unexpected_continuation",
                           "continuation frame outside a message");
            h->ws_in_msg = h->ws_drop = true;
        }
        if (!h->ws_drop && f.payload_len > t->cfg.max_message - h->ws_len) {
            char detail[96];
            snprintf(detail, sizeof detail, "WebSocket message over %zu bytes dropped",
                     t->cfg.max_message);
            sl_tcp_anomaly(t, c, d, "tcp_message_too_large", detail);
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
        sl_tcp_anomaly(t, c, d, "tcp_message_too_large", detail);
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
        sl_tcp_anomaly(t, c, d, "tcp_nomem", "unfinished data dropped");
        return false;
    }
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

/* ---- what the connection table asks of the framing ---- */

void sl_tcp_framing_gap(sl_tcp_table *t, conn *c, int d)
{
    sl_tcp_tls_gap(t, c, d);
    half *h = &c->h[d];
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
}

void sl_tcp_framing_end(sl_tcp_table *t, conn *c, int d, const char *why)
{
    half *h = &c->h[d];
    if ((h->mode == M_SIP && h->len > 0) || (h->mode == M_WS && h->ws_in_msg && !h->ws_drop)) {
        char detail[96];
        snprintf(detail, sizeof detail, "%zu bytes of an unfinished message dropped (%s)",
                 h->mode == M_SIP ? h->len : h->ws_len, why);
        sl_tcp_anomaly(t, c, d, "tcp_incomplete_message", detail);
    }
    sl_tcp_framing_free(t, h);
}

void sl_tcp_framing_free(sl_tcp_table *t, half *h)
{
    if (h->buf)
        release(t, &h->buf, &h->len, &h->cap);
    if (h->ws)
        release(t, &h->ws, &h->ws_len, &h->ws_cap);
}
