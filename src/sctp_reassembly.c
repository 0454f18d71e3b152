/* SCTP user messages in several fragments: see include/sipsleuth/sctp_assoc.h.
 * Each direction of an association holds its fragments in one list, sorted so
 * that the fragments of a message are consecutive; a message is delivered
 * when its run goes from B to E. */
#include "sctp_internal.h"

#include <stdio.h>
#include <stdlib.h>

enum {
    MAX_FRAGS = 1024, /* fragments held per direction */
};

typedef struct frag {
    struct frag *prev, *next; /* sorted: DATA by TSN, then I-DATA by stream, MID, FSN */
    bool idata, begin, end, unordered;
    uint16_t sid;
    uint32_t tsn, mid, fsn;
    size_t len;
    uint64_t frame; /* the packet it came in (--extract) */
    uint8_t data[];
} frag;

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
    sl_sctp_anomaly(t, a, d, SL_ANOM_SCTP_REASSEMBLY_GAP, detail);
}

/* A message over max_message: reported, and the fragments still to come are dropped. */
static void too_large(sl_sctp_table *t, assoc *a, int d, const frag *last, size_t bytes)
{
    half *h = &a->h[d];
    t->st.too_large++;
    char detail[96];
    snprintf(detail, sizeof detail, "user message of more than %zu bytes dropped", bytes);
    sl_sctp_anomaly(t, a, d, SL_ANOM_SCTP_MESSAGE_TOO_LARGE, detail);
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

/* Links f into the list after the last fragment ordered before it; false
 * when the same fragment is held already (under another TSN). */
static bool frag_link(sl_sctp_table *t, half *h, frag *f)
{
    frag *at = h->tail;
    while (at && frag_cmp(at, f) > 0)
        at = at->prev;
    if (at && frag_cmp(at, f) == 0)
        return false;
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
    return true;
}

/* Joins the complete message first..last (bytes long), frees its fragments
 * and delivers it. */
static void deliver_run(sl_sctp_table *t, assoc *a, int d, frag *first, const frag *last,
                        size_t bytes)
{
    half *h = &a->h[d];
    uint8_t *msg = malloc(bytes ? bytes : 1);
    if (!msg) {
        sl_sctp_anomaly(t, a, d, SL_ANOM_SCTP_NOMEM, "reassembled message dropped");
        t->st.dropped_fragments += drop_run(t, h, first, last);
        return;
    }
    size_t n = 0;
    sl_frames *fr = t->cfg.frames;
    if (fr)
        sl_frames_reset(fr, 0);
    for (const frag *k = first;; k = k->next) {
        memcpy(msg + n, k->data, k->len);
        n += k->len;
        if (fr)
            sl_frames_add(fr, k->frame);
        if (k == last)
            break;
    }
    if (fr && fr->overflow)
        sl_sctp_anomaly(t, a, d, SL_ANOM_EXTRACT_FRAMES_OVERFLOW, "an SCTP message");
    drop_run(t, h, first, last);
    t->st.reassembled++;
    sl_sctp_deliver(t, a, d, msg, n, false);
    if (fr) /* the packet's other messages are its own */
        sl_frames_reset(fr, t->pkt ? t->pkt->frame : 0);
    free(msg);
}

void sl_sctp_hold_fragment(sl_sctp_table *t, assoc *a, int d, const sl_sctp_data *c)
{
    half *h = &a->h[d];
    if (drop_following(t, h, c))
        return;
    frag *f = malloc(sizeof *f + c->payload.len);
    if (!f) {
        sl_sctp_anomaly(t, a, d, SL_ANOM_SCTP_NOMEM, "fragment dropped");
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
                .len = c->payload.len,
                .frame = t->pkt ? t->pkt->frame : 0};
    memcpy(f->data, c->payload.ptr, c->payload.len);
    if (!frag_link(t, h, f)) {
        t->st.duplicates++;
        free(f);
        return;
    }

    frag *first, *last;
    size_t bytes;
    run_of(f, &first, &last, &bytes);
    if (bytes > t->cfg.max_message) {
        too_large(t, a, d, last, bytes);
        t->st.dropped_fragments += drop_run(t, h, first, last);
    } else if (first->begin && last->end) {
        deliver_run(t, a, d, first, last, bytes);
    }
}

/* Drops what can no longer complete: DATA fragments left behind the TSN
 * window (the TSNs between were seen, or missed by the capture), and the
 * oldest fragments over the per-direction count. */
void sl_sctp_prune(sl_sctp_table *t, assoc *a, int d)
{
    half *h = &a->h[d];
    while (h->head && !h->head->idata && h->hi - h->head->tsn >= TSN_WINDOW &&
           h->hi - h->head->tsn < 0x80000000u)
        drop_head(t, a, d, "TSNs missing");
    while (h->nfrags > MAX_FRAGS)
        drop_head(t, a, d, "fragment limit");
}

void sl_sctp_drop_fragments(sl_sctp_table *t, assoc *a, int d, const char *why)
{
    while (a->h[d].head)
        drop_head(t, a, d, why);
}
