/* What the dialog tracker keeps of a call's last SDP offer and answer once
 * their packets are gone: each as compact SDP text (only the lines the events
 * report: c=, m=, a=rtpmap, a=ptime and the direction), which the output
 * parses again with sl_sdp_parse(). A typical offer takes 100 to 200 bytes;
 * nothing is allocated for a call without SDP. */
#ifndef SIPSLEUTH_MEDIA_H
#define SIPSLEUTH_MEDIA_H

#include "sipsleuth/sdp.h"

#define SL_MEDIA_TEXT_MAX 768 /* bytes kept of one offer or answer */

/* Writes the compact text of sdp into buf (at most cap bytes, whole lines
 * only: *cut set when some did not fit); returns its length. */
size_t sl_sdp_compact(const sl_sdp *sdp, char *buf, size_t cap, bool *cut);

/* A call's last offer and answer (RFC 3264) and its holds. */
typedef struct sl_media_pair {
    uint32_t offers;
    uint32_t holds; /* offers that put the call on hold from off hold */
    uint16_t offer_len, answer_len, cap;
    uint8_t state; /* offer/answer progress (dialog_media.c) */
    bool on_hold;  /* the last offer was a hold */
    bool has_offer, has_answer;
    bool offer_cut, answer_cut; /* lines did not fit in SL_MEDIA_TEXT_MAX */
    char text[];                /* the offer, then the answer */
} sl_media_pair;

static inline sl_slice sl_media_offer(const sl_media_pair *p)
{
    return sl_slice_make(p->text, p->offer_len);
}
static inline sl_slice sl_media_answer(const sl_media_pair *p)
{
    return sl_slice_make(p->text + p->offer_len, p->answer_len);
}

#endif
