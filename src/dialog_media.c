/* The dialog tracker's media: each call attempt's last SDP offer and answer
 * (RFC 3264 and RFC 6337), packed (media.h), and its holds.
 *
 * An INVITE or UPDATE with SDP offers, and the 18x/2xx to it answers. An
 * INVITE without SDP leaves the offer to the response, answered by the ACK
 * (or the PRACK of a reliable 18x). A re-offer that is a hold (sendonly,
 * inactive or c=0.0.0.0) after one that was not counts one hold. */
#include "dialog_table.h"
#include "sipsleuth/media.h"

#include <stdlib.h>

enum oa {
    OA_NONE,       /* nothing offered yet, or an INVITE without SDP awaits its offer */
    OA_OFFER_REQ,  /* a request offered: the response answers */
    OA_OFFER_RESP, /* a response offered: ACK or PRACK answers */
    OA_DONE_RESP,  /* a response answered (a later 18x/2xx repeats the answer) */
    OA_DONE_REQ,   /* a request answered */
};

/* Replaces the offer (and drops the answer), or the answer, with sdp
 * packed. The record is made or grown when it must, within the memory
 * cap; false (and the call's media stay as they were) when it cannot be. */
static bool store(sl_dialogs *d, rec *r, const sl_sdp *sdp, bool answer)
{
    uint8_t buf[SL_MEDIA_KEPT_MAX];
    bool cut;
    size_t n = sl_sdp_pack(sdp, buf, sizeof buf, &cut);
    sl_media_pair *p = r->media;
    size_t keep = answer && p ? p->offer_len : 0;
    size_t have = p ? sizeof *p + p->cap : 0;
    if (!p || keep + n > p->cap) {
        /* room for an answer as long as the first offer: one allocation a call */
        size_t cap = ((p ? keep + n : 2 * n) + 63) & ~(size_t)63;
        if (!sl_lru_fits(&d->recs, sizeof *p + cap - have))
            return false;
        sl_media_pair *q = realloc(p, sizeof *q + cap);
        if (!q)
            return false;
        if (!p)
            memset(q, 0, sizeof *q);
        sl_lru_charge(&d->recs, sizeof *q + cap - have);
        q->cap = (uint16_t)cap;
        r->media = p = q;
    }
    memcpy(p->kept + keep, buf, n);
    if (answer) {
        p->answer_len = (uint16_t)n;
        p->answer_cut = cut;
    } else {
        p->offer_len = (uint16_t)n;
        p->offer_cut = cut;
        p->answer_len = 0;
    }
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
    if (!r->media)
        return;
    sl_lru_release(&d->recs, sizeof *r->media + r->media->cap);
    free(r->media);
    r->media = NULL;
}
