/* The dialog tracker's media: each call attempt's last SDP offer and answer
 * (RFC 3264 and RFC 6337), as compact copies, and its holds.
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

/* Copies s into dst (cap bytes with its NUL); false when it was cut. */
static bool copy_str(char *dst, size_t cap, sl_slice s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.ptr, n);
    dst[n] = '\0';
    return n == s.len;
}

/* The format list, cut at a space (a whole format) when it does not fit. */
static bool copy_fmts(char *dst, size_t cap, sl_slice s)
{
    if (copy_str(dst, cap, s))
        return true;
    if (s.ptr[cap - 1] == ' ')
        return false; /* cut just before a space: the last format is whole */
    char *sp = strrchr(dst, ' ');
    if (sp)
        *sp = '\0';
    return false;
}

static bool copy_stream(sl_media_stream *o, const sl_sdp_media *m)
{
    bool ok = copy_str(o->media, sizeof o->media, m->media);
    ok &= copy_str(o->proto, sizeof o->proto, m->proto);
    ok &= copy_fmts(o->fmts, sizeof o->fmts, m->fmts);
    ok &= copy_str(o->conn, sizeof o->conn, m->conn);
    o->port = m->port;
    o->port_count = m->port_count;
    o->ptime = m->ptime;
    o->dir = m->dir;
    o->n_codecs = 0;
    for (size_t i = 0; i < m->n_rtpmap; i++) {
        if (o->n_codecs == SL_MEDIA_CODECS)
            return false;
        sl_media_codec *c = &o->codecs[o->n_codecs++];
        const sl_sdp_rtpmap *r = &m->rtpmap[i];
        c->pt = r->pt;
        c->channels = r->channels;
        c->rate = r->rate;
        ok &= copy_str(c->name, sizeof c->name, r->name);
    }
    return ok;
}

void sl_media_desc_copy(sl_media_desc *out, const sl_sdp *sdp)
{
    bool ok = copy_str(out->conn, sizeof out->conn, sdp->conn) && !sdp->dropped;
    out->dir = sdp->dir;
    out->hold = sl_sdp_is_hold(sdp);
    out->n_streams = 0;
    for (size_t i = 0; i < sdp->n_media; i++) {
        if (out->n_streams == SL_MEDIA_STREAMS) {
            ok = false;
            break;
        }
        ok &= copy_stream(&out->streams[out->n_streams++], &sdp->media[i]);
    }
    out->cut = !ok;
}

static void offer(sl_media_pair *p, const sl_sdp *sdp, enum oa next)
{
    bool hold = sl_sdp_is_hold(sdp);
    if (hold && !p->on_hold && p->offers > 0)
        p->holds++;
    p->on_hold = hold;
    p->offers++;
    sl_media_desc_copy(&p->offer, sdp);
    p->has_offer = true;
    p->has_answer = false; /* an answer to an earlier offer no longer applies */
    p->state = (uint8_t)next;
}

static void answer(sl_media_pair *p, const sl_sdp *sdp, enum oa next)
{
    sl_media_desc_copy(&p->answer, sdp);
    p->has_answer = true;
    p->state = (uint8_t)next;
}

static bool offer_answer_method(sl_method m)
{
    return m == SL_M_INVITE || m == SL_M_UPDATE || m == SL_M_PRACK;
}

static void on_request(sl_media_pair *p, sl_method meth, const sl_sdp *sdp)
{
    if (meth == SL_M_INVITE || meth == SL_M_UPDATE)
        offer(p, sdp, OA_OFFER_REQ);
    else if ((meth == SL_M_ACK || meth == SL_M_PRACK) && p->state == OA_OFFER_RESP)
        answer(p, sdp, OA_DONE_REQ);
    else if (meth == SL_M_PRACK)
        offer(p, sdp, OA_OFFER_REQ);
}

static void on_response(sl_media_pair *p, const sl_sdp *sdp)
{
    if (p->state == OA_DONE_REQ)
        return; /* the 2xx after a PRACK answered a 18x's offer repeats that offer */
    if (p->state == OA_OFFER_REQ || p->state == OA_DONE_RESP)
        answer(p, sdp, OA_DONE_RESP);
    else
        offer(p, sdp, OA_OFFER_RESP);
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
    if (!r->media) {
        if (!sl_lru_fits(&d->recs, sizeof *r->media))
            return; /* over the memory cap: the call's media are not kept */
        r->media = calloc(1, sizeof *r->media);
        if (!r->media)
            return;
        sl_lru_charge(&d->recs, sizeof *r->media);
    }
    if (msg->is_request)
        on_request(r->media, m->meth, c->sdp);
    else
        on_response(r->media, c->sdp);
}

void sl_dialog_media_free(sl_dialogs *d, rec *r)
{
    if (!r->media)
        return;
    free(r->media);
    r->media = NULL;
    sl_lru_release(&d->recs, sizeof(sl_media_pair));
}
