/* HEP over TCP: a HEP agent's connection to its collector carries HEPv3
 * packets back to back, each framed by its header: "HEP3", then the packet's
 * total length (16 bits, big-endian, the header included). Part of the
 * framing (tcp_framing.c), which enters the HEP mode at a direction's first
 * bytes "HEP3" and calls this step in it; each whole packet goes to on_hep.
 * HEPv1/v2 state no packet length, so they cannot be framed on a stream.
 *
 * Resync: where a header should start but the bytes are not "HEP3" with a
 * length that holds a chunk, or after a hole or bytes the snap length cut,
 * the direction is out of step; bytes are skipped up to the next "HEP3"
 * whose length holds a chunk, and packets are framed from there. A packet
 * longer than max_message is reported and skipped by its length, never held. */
#include "tcp_internal.h"

#include <stdio.h>

enum {
    HEP_HEADER = 6,           /* "HEP3", total length */
    HEP_MIN = HEP_HEADER + 6, /* and a chunk's header */
};

static const char magic[] = "HEP3";

static size_t hep_length(const uint8_t *p)
{
    return (size_t)p[4] << 8 | p[5];
}

/* Out of step: skips to the next plausible header at or after `from`. */
static bool resync(sl_tcp_table *t, half *h, const uint8_t *p, size_t n, size_t from, size_t *used)
{
    size_t i = from;
    for (; i < n; i++) {
        const uint8_t *q = memchr(p + i, magic[0], n - i);
        if (!q) {
            i = n;
            break;
        }
        i = (size_t)(q - p);
        if (memcmp(p + i, magic, n - i < 4 ? n - i : 4) != 0)
            continue;
        if (n - i < HEP_HEADER)
            break; /* a header may begin here: wait for its length */
        if (hep_length(p + i) >= HEP_MIN) {
            h->hep_lost = false;
            break;
        }
    }
    t->st.skipped += i;
    *used = i;
    return !h->hep_lost;
}

/* The rest of a packet that is not kept (over the cap, or cut). */
static bool skip(sl_tcp_table *t, half *h, size_t n, size_t *used)
{
    size_t k = n < h->discard ? n : h->discard;
    h->discard -= k;
    t->st.skipped += k;
    *used = k;
    return true;
}

bool sl_tcp_step_hep(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used)
{
    half *h = &c->h[d];
    if (h->discard > 0)
        return skip(t, h, n, used);
    if (h->hep_lost) {
        bool found = resync(t, h, p, n, 0, used);
        if (!found || *used > 0)
            return found;
        /* a header right here: framed below (a step must consume to go on) */
    }
    if (n < HEP_HEADER)
        return false;
    const size_t len = hep_length(p);
    if (memcmp(p, magic, 4) != 0 || len < HEP_MIN) {
        t->st.invalid++;
        sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_HEP_INVALID,
                       "no HEP3 header where a packet should start; searching for the next");
        h->hep_lost = true;
        return resync(t, h, p, n, 1, used);
    }
    if (len > t->cfg.max_message) {
        t->st.too_large++;
        char detail[96];
        snprintf(detail, sizeof detail, "HEP packet of %zu bytes dropped (cap %zu)", len,
                 t->cfg.max_message);
        sl_tcp_anomaly(t, c, d, SL_ANOM_TCP_MESSAGE_TOO_LARGE, detail);
        h->discard = len;
        return skip(t, h, n, used);
    }
    if (n < len)
        return false;
    sl_flow f = sl_tcp_flow(t, c, d); /* the HEP mode is entered only with on_hep */
    sl_tcp_prov_collect(t, c, d, p, len);
    t->cb.on_hep(t->cb.user, p, len, t->now, &f);
    *used = len;
    return true;
}

void sl_tcp_hep_cut(sl_tcp_table *t, conn *c, int d, size_t n)
{
    half *h = &c->h[d];
    if (h->hep_lost)
        return;
    t->st.skipped += h->len; /* the framing drops the held bytes */
    if (h->discard == 0) {
        /* a packet is cut: when its length was captured, its end keeps the step */
        size_t cut = n;
        if (h->len >= HEP_HEADER) {
            h->discard = hep_length(h->buf) - h->len;
            cut = n < h->discard ? n : h->discard;
        }
        t->st.truncated++;
        char detail[96];
        snprintf(detail, sizeof detail,
                 "HEP packet: %zu bytes captured, %zu cut by the snap length", h->len, cut);
        sl_tcp_anomaly(t, c, d, SL_ANOM_TRUNCATED_MESSAGE, detail);
    }
    if (h->discard >= n) {
        h->discard -= n;
        return;
    }
    h->discard = 0;
    h->hep_lost = true;
}
