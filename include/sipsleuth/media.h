/* What the dialog tracker keeps of a call's last SDP offer and answer once
 * their packets are gone: each packed (sdp_pack.c) to the fields the events
 * report (connection addresses, m= lines, rtpmaps, ptime and directions),
 * which the output unpacks into an sl_sdp without parsing again. A typical
 * offer takes 60 to 120 bytes; nothing is allocated for a call without SDP. */
#ifndef SIPSLEUTH_MEDIA_H
#define SIPSLEUTH_MEDIA_H

#include "sipsleuth/sdp.h"

#define SL_MEDIA_KEPT_MAX 768 /* bytes kept of one offer or answer */

/* Packs sdp into buf (at most cap bytes; *cut set when a media section or an
 * rtpmap did not fit, or the parse had dropped some); returns its length. */
size_t sl_sdp_pack(const sl_sdp *sdp, uint8_t *buf, size_t cap, bool *cut);
/* The sl_sdp that sl_sdp_pack() packed, its slices into buf; false when buf
 * is not a whole packed SDP. */
bool sl_sdp_unpack(const uint8_t *buf, size_t len, sl_sdp *sdp);

/* A packed SDP in two parts: the values of this call (connection addresses
 * and ports), and the rest, which the calls of a trunk share byte for byte
 * when they offer the same streams. */
typedef struct sl_sdp_packed {
    uint8_t n_media;
    sl_slice conn;                         /* the session's c= address */
    uint16_t port[SL_SDP_MAX_MEDIA];       /* each stream's */
    sl_slice media_conn[SL_SDP_MAX_MEDIA]; /* each stream's own c= (empty: the session's) */
    sl_slice shared;                       /* everything else, hold first */
} sl_sdp_packed;
bool sl_sdp_packed_parts(const uint8_t *buf, size_t len, sl_sdp_packed *pk);
/* The values of this call alone, all of buf's len bytes: pk but .shared. */
bool sl_sdp_packed_own(const uint8_t *buf, size_t len, sl_sdp_packed *pk);
/* The sl_sdp of a packed one's parts, its slices into theirs. */
bool sl_sdp_unpack_parts(const sl_sdp_packed *pk, sl_sdp *sdp);

/* The shared part of packed SDPs, kept once for the calls that have it
 * (src/media_shapes.c). */
typedef struct sl_media_shape sl_media_shape;
sl_slice sl_media_shape_bytes(const sl_media_shape *s);

/* A call's last offer and answer (RFC 3264) and its holds: each one's own
 * values (sl_sdp_packed before .shared) and its shape. */
typedef struct sl_media_pair {
    uint32_t offers;
    uint32_t holds; /* offers that put the call on hold from off hold */
    const sl_media_shape *offer_shape, *answer_shape;
    uint16_t offer_len, answer_len, cap;
    uint8_t state; /* offer/answer progress (dialog_media.c) */
    bool on_hold;  /* the last offer was a hold */
    bool has_offer, has_answer;
    bool offer_cut, answer_cut; /* some did not fit in SL_MEDIA_KEPT_MAX */
    uint8_t kept[];             /* the offer's own values, then the answer's */
} sl_media_pair;

/* The offer (answer false) or the answer of p as its parts; false when it
 * has none. */
bool sl_media_kept(const sl_media_pair *p, bool answer, sl_sdp_packed *pk);

#endif
