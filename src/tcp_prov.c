/* Provenance of a direction's unfinished unit for --extract (tcp_internal.h):
 * a list of (offset in h->buf, frame) runs, one per segment whose bytes were
 * copied into the buffer, so a message cut from the buffer names every
 * segment that carried part of it, and none that carried only other
 * messages. Bytes a retransmission repeated never reach the framing (first
 * data wins), so only the copy whose bytes were used is named. A message
 * parsed in place lies in the bytes being fed: the one frame feed_frame. A
 * WebSocket message unmasked into h->ws keeps the frames of the bytes it
 * was copied from. Without cfg.frames nothing here runs (the hooks test it,
 * or h->prov). */
#include "tcp_internal.h"

#include <stdlib.h>

typedef struct run {
    size_t off; /* the run's first byte in h->buf; it ends where the next begins */
    uint64_t frame;
} run;

typedef struct sl_tcp_prov {
    size_t n, cap;
    bool overflow; /* runs were dropped: more than SL_FRAMES_MAX */
    run *runs;
    sl_frames ws; /* the frames of the WebSocket message in h->ws */
} sl_tcp_prov;

static sl_tcp_prov *prov_of(sl_tcp_table *t, half *h)
{
    if (!h->prov) {
        h->prov = calloc(1, sizeof *h->prov);
        if (h->prov)
            sl_lru_charge(&t->conns, sizeof *h->prov);
    }
    return h->prov;
}

void sl_tcp_prov_hold(sl_tcp_table *t, half *h)
{
    sl_tcp_prov *pv = prov_of(t, h);
    if (!pv)
        return;
    if (h->len == 0) { /* a new unit */
        pv->n = 0;
        pv->overflow = false;
    }
    if (pv->n > 0 && pv->runs[pv->n - 1].frame == t->feed_frame)
        return;
    if (pv->n == SL_FRAMES_MAX) {
        pv->overflow = true;
        return;
    }
    if (pv->n == pv->cap) {
        size_t cap = pv->cap ? pv->cap * 2 : 8;
        run *nr = realloc(pv->runs, cap * sizeof *nr);
        if (!nr) {
            pv->overflow = true;
            return;
        }
        sl_lru_charge(&t->conns, (cap - pv->cap) * sizeof *nr);
        pv->runs = nr;
        pv->cap = cap;
    }
    pv->runs[pv->n++] = (run){.off = h->len, .frame = t->feed_frame};
}

void sl_tcp_prov_shift(half *h, size_t used)
{
    sl_tcp_prov *pv = h->prov;
    if (!pv || pv->n == 0)
        return;
    size_t first = 0; /* the run holding byte `used` */
    while (first + 1 < pv->n && pv->runs[first + 1].off <= used)
        first++;
    for (size_t i = first; i < pv->n; i++) {
        pv->runs[i - first].frame = pv->runs[i].frame;
        pv->runs[i - first].off = i == first ? 0 : pv->runs[i].off - used;
    }
    pv->n -= first;
}

/* Adds to fr the frames of data[0..len): bytes in h->buf, or else being fed. */
static void frames_of(const sl_tcp_table *t, const half *h, const uint8_t *data, size_t len,
                      sl_frames *fr)
{
    const sl_tcp_prov *pv = h->prov;
    if (!pv || pv->n == 0 || !h->buf || data < h->buf || data >= h->buf + h->len) {
        sl_frames_add(fr, t->feed_frame);
        return;
    }
    const size_t from = (size_t)(data - h->buf), to = from + len;
    for (size_t i = 0; i < pv->n; i++) {
        size_t end = i + 1 < pv->n ? pv->runs[i + 1].off : h->len;
        if (pv->runs[i].off < to && end > from)
            sl_frames_add(fr, pv->runs[i].frame);
    }
    if (pv->overflow)
        fr->overflow = true;
}

void sl_tcp_prov_ws(sl_tcp_table *t, half *h, const uint8_t *src, size_t len)
{
    sl_tcp_prov *pv = prov_of(t, h);
    if (!pv)
        return;
    if (h->ws_len == 0)
        sl_frames_reset(&pv->ws, 0);
    frames_of(t, h, src, len, &pv->ws);
}

void sl_tcp_prov_collect(sl_tcp_table *t, const conn *c, int d, const uint8_t *data, size_t len)
{
    sl_frames *fr = t->cfg.frames;
    if (!fr)
        return;
    const half *h = &c->h[d];
    sl_frames_reset(fr, 0);
    if (h->prov && h->ws && data == h->ws)
        *fr = h->prov->ws;
    else
        frames_of(t, h, data, len, fr);
    if (fr->overflow) {
        fr->overflow = true;
        sl_tcp_anomaly(t, c, d, SL_ANOM_EXTRACT_FRAMES_OVERFLOW, "a stream message");
    }
}

void sl_tcp_prov_free(sl_tcp_table *t, half *h)
{
    if (!h->prov)
        return;
    sl_lru_release(&t->conns, sizeof *h->prov + h->prov->cap * sizeof(run));
    free(h->prov->runs);
    free(h->prov);
    h->prov = NULL;
}
