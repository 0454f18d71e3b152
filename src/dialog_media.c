/* The dialog tracker's media: each call attempt's last SDP offer and answer
 * (RFC 3264 and RFC 6337), packed (media.h), and its holds.
 *
 * An INVITE or UPDATE with SDP offers, and the 18x/2xx to it answers. An
 * INVITE without SDP leaves the offer to the response, answered by the ACK
 * (or the PRACK of a reliable 18x). A re-offer that is a hold (sendonly,
 * inactive or c=0.0.0.0) after one that was not counts one hold. */
#include "dialog_table.h"
#include "media_shapes.h"
#include "sipsleuth/media.h"

#include <stdlib.h>

enum oa {
    OA_NONE,       /* nothing offered yet, or an INVITE without SDP awaits its offer */
    OA_OFFER_REQ,  /* a request offered: the response answers */
    OA_OFFER_RESP, /* a response offered: ACK or PRACK answers */
    OA_DONE_RESP,  /* a response answered (a later 18x/2xx repeats the answer) */
    OA_DONE_REQ,   /* a request answered */
};

/* *at = s, the shape it held put. */
static void set_shape(sl_dialogs *d, const sl_media_shape **at, const sl_media_shape *s)
{
    if (*at)
        sl_media_shape_put(&d->shapes, *at, &d->recs.bytes);
    *at = s;
}

/* The room MEDIA_INLINE at the end of r's own allocation, or NULL. */
static sl_media_pair *inline_room(rec *r)
{
    return r->has_media_room ? (sl_media_pair *)((char *)r + r->size - MEDIA_INLINE) : NULL;
}

/* r->media with room for n bytes after its first keep (the offer, which an
 * answer keeps): the record's inline room first, else an allocation within
 * the memory cap, grown when it must; NULL when there is none. */
static sl_media_pair *room_for(sl_dialogs *d, rec *r, size_t keep, size_t n)
{
    sl_media_pair *p = r->media, *in = inline_room(r);
    if (!p && in && n <= MEDIA_INLINE - sizeof *in) {
        memset(in, 0, sizeof *in);
        in->cap = (uint16_t)(MEDIA_INLINE - sizeof *in);
        r->media = in;
        return in;
    }
    if (p && keep + n <= p->cap)
        return p;
    /* room for an answer as long as the first offer: one allocation a call */
    size_t cap = ((p ? keep + n : 2 * n) + 63) & ~(size_t)63;
    size_t have = p && p != in ? sizeof *p + p->cap : 0;
    if (!sl_lru_fits(&d->recs, sizeof *p + cap - have))
        return NULL;
    sl_media_pair *q;
    if (p && p == in) { /* outgrown: the inline room stays unused */
        q = malloc(sizeof *q + cap);
        if (q)
            memcpy(q, p, sizeof *p + keep);
    } else {
        q = realloc(p, sizeof *q + cap);
        if (q && !p)
            memset(q, 0, sizeof *q);
    }
    if (!q)
        return NULL;
    sl_lru_charge(&d->recs, sizeof *q + cap - have);
    q->cap = (uint16_t)cap;
    r->media = q;
    return q;
}

/* Replaces the offer (and drops the answer), or the answer, with sdp
 * packed: its own values in r->media, its shape shared. False (and the
 * call's media stay as they were) when there is no room for it. */
static bool store(sl_dialogs *d, rec *r, const sl_sdp *sdp, bool answer)
{
    uint8_t buf[SL_MEDIA_KEPT_MAX];
    bool cut;
    size_t own = sl_sdp_pack(sdp, buf, sizeof buf, &cut);
    const sl_media_shape *shape = NULL;
    sl_sdp_packed pk;
    if (sl_sdp_packed_parts(buf, own, &pk)) { /* else nothing fitted: kept empty, cut */
        own = (size_t)(pk.shared.ptr - buf);
        size_t room = sl_lru_fits(&d->recs, 0) ? d->recs.max_bytes - d->recs.bytes : 0;
        shape = sl_media_shape_get(&d->shapes, pk.shared, &d->recs.bytes, room);
        if (!shape)
            return false;
    }
    size_t keep = answer && r->media ? r->media->offer_len : 0;
    sl_media_pair *p = room_for(d, r, keep, own);
    if (!p) {
        if (shape)
            sl_media_shape_put(&d->shapes, shape, &d->recs.bytes);
        return false;
    }
    memcpy(p->kept + keep, buf, own);
    if (!answer) {
        p->offer_len = (uint16_t)own;
        p->offer_cut = cut;
        set_shape(d, &p->offer_shape, shape);
        shape = NULL; /* an offer drops the answer */
    }
    p->answer_len = answer ? (uint16_t)own : 0;
    p->answer_cut = answer && cut;
    set_shape(d, &p->answer_shape, shape);
    return true;
}

static void offer(sl_dialogs *d, rec *r, const sl_sdp *sdp, enum oa next)
{
    if (!store(d, r, sdp, false))
        return;
    sl_media_pair *p = r->media;
    bool hold = sl_sdp_is_hold(sdp);
    if (hold && !p->on_hold && p->offers > 0)
        p->holds++;
    p->on_hold = hold;
    p->offers++;
    p->has_offer = true;
    p->has_answer = false; /* an answer to an earlier offer no longer applies */
    p->state = (uint8_t)next;
}

static void answer(sl_dialogs *d, rec *r, const sl_sdp *sdp, enum oa next)
{
    if (!store(d, r, sdp, true))
        return;
    r->media->has_answer = true;
    r->media->state = (uint8_t)next;
}

static bool offer_answer_method(sl_method m)
{
    return m == SL_M_INVITE || m == SL_M_UPDATE || m == SL_M_PRACK;
}

static void on_request(sl_dialogs *d, rec *r, sl_method meth, const sl_sdp *sdp)
{
    bool awaited = r->media && r->media->state == OA_OFFER_RESP; /* a response offered */
    if ((meth == SL_M_ACK || meth == SL_M_PRACK) && awaited)
        answer(d, r, sdp, OA_DONE_REQ);
    else if (meth == SL_M_INVITE || meth == SL_M_UPDATE || meth == SL_M_PRACK)
        offer(d, r, sdp, OA_OFFER_REQ);
}

static void on_response(sl_dialogs *d, rec *r, const sl_sdp *sdp)
{
    uint8_t st = r->media ? r->media->state : OA_NONE;
    if (st == OA_DONE_REQ)
        return; /* the 2xx after a PRACK answered a 18x's offer repeats that offer */
    if (st == OA_OFFER_REQ || st == OA_DONE_RESP)
        answer(d, r, sdp, OA_DONE_RESP);
    else
        offer(d, r, sdp, OA_OFFER_RESP);
}

void sl_dialog_media_note(sl_dialogs *d, rec *r, const msgv *m)
{
    const sl_sip_ctx *c = m->ctx;
    const sl_sip_msg *msg = c->msg;
    if (!c->sdp) {
        if (msg->is_request && m->meth == SL_M_INVITE && r->media)
            r->media->state = OA_NONE; /* an offerless re-INVITE: its 2xx offers */
        return;
    }
    if (!msg->is_request &&
        (msg->status_code <= 100 || msg->status_code >= 300 || !offer_answer_method(m->meth)))
        return;
    if (msg->is_request)
        on_request(d, r, m->meth, c->sdp);
    else
        on_response(d, r, c->sdp);
}

void sl_dialog_media_free(sl_dialogs *d, rec *r)
{
    sl_media_pair *p = r->media;
    if (!p)
        return;
    set_shape(d, &p->offer_shape, NULL);
    set_shape(d, &p->answer_shape, NULL);
    if (p != inline_room(r)) { /* else freed with the record */
        sl_lru_release(&d->recs, sizeof *p + p->cap);
        free(p);
    }
    r->media = NULL;
}

bool sl_media_kept(const sl_media_pair *p, bool answer, sl_sdp_packed *pk)
{
    const sl_media_shape *s = answer ? p->answer_shape : p->offer_shape;
    bool has = answer ? p->has_answer : p->has_offer;
    const uint8_t *own = answer ? p->kept + p->offer_len : p->kept;
    if (!has || !s || !sl_sdp_packed_own(own, answer ? p->answer_len : p->offer_len, pk))
        return false;
    pk->shared = sl_media_shape_bytes(s);
    return true;
}
