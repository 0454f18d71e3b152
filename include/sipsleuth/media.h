/* A compact copy of an SDP (sdp.h) that outlives its packet: what the dialog
 * tracker keeps of a call's last offer and answer. Fixed-size, short strings
 * copied (cut to their buffers), allocated only for a call that carried SDP. */
#ifndef SIPSLEUTH_MEDIA_H
#define SIPSLEUTH_MEDIA_H

#include "sipsleuth/sdp.h"

#define SL_MEDIA_STREAMS 2 /* m= lines kept per offer or answer */
#define SL_MEDIA_CODECS 6  /* rtpmaps kept per stream */
#define SL_MEDIA_ADDR 46   /* an IPv6 address in text, and its NUL */

typedef struct sl_media_codec {
    uint8_t pt, channels;
    uint32_t rate;
    char name[16];
} sl_media_codec;

typedef struct sl_media_stream {
    char media[12];
    char proto[16];
    char fmts[48]; /* the format list, cut at a space when longer */
    char conn[SL_MEDIA_ADDR];
    uint16_t port, port_count, ptime;
    uint8_t dir; /* sl_sdp_dir, as written (SL_SDP_DIR_UNSET: the session's) */
    uint8_t n_codecs;
    sl_media_codec codecs[SL_MEDIA_CODECS];
} sl_media_stream;

typedef struct sl_media_desc {
    char conn[SL_MEDIA_ADDR];
    uint8_t dir;
    uint8_t n_streams;
    bool cut; /* streams, codecs or strings did not fit (or the SDP dropped some) */
    bool hold;
    sl_media_stream streams[SL_MEDIA_STREAMS];
} sl_media_desc;

/* A call's last offer and answer (RFC 3264) and its holds. */
typedef struct sl_media_pair {
    sl_media_desc offer, answer;
    bool has_offer, has_answer;
    bool on_hold;  /* the last offer was a hold */
    uint8_t state; /* offer/answer progress (dialog_media.c) */
    uint32_t offers;
    uint32_t holds; /* offers that put the call on hold from off hold */
} sl_media_pair;

/* Copies what sdp says into *out. */
void sl_media_desc_copy(sl_media_desc *out, const sl_sdp *sdp);

#endif
