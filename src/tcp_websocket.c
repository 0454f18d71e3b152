/* SIP over WebSocket (RFC 7118) on a TCP stream: the HTTP Upgrade, then
 * frames, each complete message delivered as one SIP message. Part of the
 * framing (tcp_framing.c), which calls these steps in the HTTP and WS modes. */
#include "tcp_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "sipsleuth/websocket.h"

#define HTTP_HEAD_MAX 8192

bool sl_tcp_step_http(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
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
        sl_tcp_not_sip(t, h);
        /* a refused upgrade: the client side does not speak WebSocket either */
        if (h->http_response && c->h[!d].mode == M_WS)
            sl_tcp_not_sip(t, &c->h[!d]);
        return true;
    }
    if (!h->http_response)
        c->ws_requested = true;
    h->mode = M_WS;
    *used = head;
    return true;
}

/* The end of a WebSocket frame's payload. */
void sl_tcp_ws_frame_end(sl_tcp_table *t, conn *c, int d)
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
        sl_tcp_deliver(t, c, d, h->ws, h->ws_len);
    }
    sl_tcp_release(t, &h->ws, &h->ws_len, &h->ws_cap);
    h->ws_in_msg = h->ws_drop = false;
}

bool sl_tcp_step_ws(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    if (h->ws_left > 0) {
        size_t take = n < h->ws_left ? n : (size_t)h->ws_left;
        if (!h->ws_ctrl && !h->ws_drop) {
            /* the length was checked against the cap when the header came */
            if (!sl_tcp_reserve(t, &h->ws, &h->ws_cap, h->ws_len + take)) {
                sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_NOMEM, "WebSocket message dropped");
                h->ws_drop = true;
            } else {
                /* an unmasked frame has an all-zero mask: this copies it */
                if (t->cfg.frames)
                    sl_tcp_prov_ws(t, h, p, take);
                sl_ws_unmask(h->ws + h->ws_len, p, take, h->ws_mask, h->ws_pos);
                h->ws_len += take;
            }
        }
        h->ws_left -= take;
        h->ws_pos += take;
        *used = take;
        if (h->ws_left == 0)
            sl_tcp_ws_frame_end(t, c, d);
        return true;
    }

    sl_ws_frame f;
    sl_anomaly an = {0};
    sl_status st = sl_ws_frame_parse(p, n, &f, &an);
    if (st == SL_PARTIAL)
        return false;
    if (st != SL_OK) {
        sl_tcp_anomaly(t, c, d, SL_ANOM_WS_INVALID_FRAME,
                       an.kind ? sl_anomaly_name(an.kind) : "ws_invalid");
        sl_tcp_not_sip(t, h);
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
                sl_tcp_anomaly(t, c, d, SL_ANOM_WS_MESSAGE_INCOMPLETE,
                               "a new message began before FIN");
            h->ws_len = 0;
            h->ws_in_msg = true;
            h->ws_drop = false;
        } else if (!h->ws_in_msg) {
            sl_tcp_anomaly(t, c, d, SL_ANOM_WS_UNEXPECTED_CONTINUATION,
                           "continuation frame outside a message");
            h->ws_in_msg = h->ws_drop = true;
        }
        if (!h->ws_drop && f.payload_len > t->cfg.max_message - h->ws_len) {
            char detail[96];
            snprintf(detail, sizeof detail, "WebSocket message over %zu bytes dropped",
                     t->cfg.max_message);
            sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_MESSAGE_TOO_LARGE, detail);
            t->st.too_large++;
            h->ws_drop = true;
            sl_tcp_release(t, &h->ws, &h->ws_len, &h->ws_cap);
        }
        /* A whole unmasked message in place: deliver it without a copy. */
        if (!h->ws_drop && h->ws_fin && !h->ws_masked && h->ws_len == 0 && f.payload_len > 0 &&
            f.payload_len <= n - f.header_len) {
            t->st.ws_messages++;
            sl_tcp_deliver(t, c, d, p + f.header_len, (size_t)f.payload_len);
            h->ws_left = 0;
            h->ws_in_msg = false;
            *used += (size_t)f.payload_len;
            return true;
        }
    }
    if (h->ws_left == 0)
        sl_tcp_ws_frame_end(t, c, d);
    return true;
}
