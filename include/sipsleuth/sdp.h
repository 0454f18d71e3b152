/* SDP (RFC 8866, offer/answer RFC 3264) parsed in place: slices into the
 * body, a fixed-size view, nothing allocated. Only what the events report is
 * kept: connection addresses, each m= line, its rtpmap, direction and ptime.
 * sl_sdp_of_message() finds the SDP of a SIP message, as its whole body or
 * as a part of a multipart body (multipart.c). */
#ifndef SIPSLEUTH_SDP_H
#define SIPSLEUTH_SDP_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/sip.h"
#include "sipsleuth/slice.h"

#define SL_SDP_MAX_MEDIA 8   /* m= lines kept */
#define SL_SDP_MAX_RTPMAP 16 /* a=rtpmap lines kept per m= line */

typedef enum sl_sdp_dir {
    SL_SDP_DIR_UNSET, /* no attribute: the session's, else sendrecv (RFC 8866 6.7) */
    SL_SDP_SENDRECV,
    SL_SDP_SENDONLY,
    SL_SDP_RECVONLY,
    SL_SDP_INACTIVE,
} sl_sdp_dir;

/* "sendrecv"... for a set direction, "sendrecv" for SL_SDP_DIR_UNSET. */
const char *sl_sdp_dir_name(sl_sdp_dir d);

typedef struct sl_sdp_rtpmap {
    uint8_t pt;       /* payload type, 0-127 */
    uint8_t channels; /* encoding parameters; 0 when absent */
    uint32_t rate;    /* clock rate */
    sl_slice name;    /* encoding name: "PCMU", "opus" */
} sl_sdp_rtpmap;

typedef struct sl_sdp_media {
    sl_slice media; /* "audio", "video", "image"... */
    sl_slice proto; /* "RTP/AVP", "udptl"... */
    sl_slice fmts;  /* the format list as written: "0 8 101" */
    sl_slice conn;  /* c= address of this m= section; empty: the session's */
    uint16_t port;
    uint16_t port_count; /* "port/count"; 0 when not given */
    uint8_t dir;         /* sl_sdp_dir of this section */
    uint8_t n_rtpmap;
    uint16_t ptime; /* a=ptime in ms (integer part); 0 when absent */
    sl_sdp_rtpmap rtpmap[SL_SDP_MAX_RTPMAP];
} sl_sdp_media;

typedef struct sl_sdp {
    sl_slice conn; /* session-level c= address (without /ttl); empty when none */
    uint8_t dir;   /* session-level direction attribute */
    uint8_t n_media;
    bool dropped; /* more m= lines or rtpmaps than kept */
    sl_sdp_media media[SL_SDP_MAX_MEDIA];
} sl_sdp;

/* Parses body into sdp (only its counts and the kept entries are written).
 * Always fills what it can: a bad line is skipped and the first finding goes
 * to *an (sdp_malformed or sdp_too_many_media, offset within body). */
void sl_sdp_parse(sl_slice body, sl_sdp *sdp, sl_anomaly *an);

/* What the lines after an m= line, to the end of the body, gave its media
 * section; slices into text. */
typedef struct sl_sdp_memo_slot {
    uint16_t len;         /* of text; 0: empty */
    sl_sdp_media section; /* only what those lines set: c=, direction, ptime, rtpmaps */
    uint8_t text[384];
} sl_sdp_memo_slot;

/* The last media sections that parsed cleanly (sdp_memo.c): the calls of a
 * trunk offer the same codecs and attributes after a port of their own, so
 * that one compare parses them again. Zeroed by its owner; a few slots,
 * replaced in turn. */
typedef struct sl_sdp_memo {
    sl_sdp_memo_slot slot[4];
    unsigned next; /* the slot replaced next */
} sl_sdp_memo;

/* sl_sdp_parse(), with memo (NULL: none) kept and used. */
void sl_sdp_parse_memo(sl_slice body, sl_sdp *sdp, sl_sdp_memo *memo, sl_anomaly *an);
/* m's fields from the text rest that follows its m= line when memo has it
 * (slices into rest); false when it has not. */
bool sl_sdp_memo_apply(const sl_sdp_memo *memo, sl_slice rest, sl_sdp_media *m);
/* Keeps what rest, which followed m's m= line to the end of the body and
 * parsed without a finding, gave m; nothing when rest is too long. */
void sl_sdp_memo_keep(sl_sdp_memo *memo, sl_slice rest, const sl_sdp_media *m);

/* The direction in effect for media i: its own, else the session's, else
 * sendrecv. */
sl_sdp_dir sl_sdp_media_dir(const sl_sdp *sdp, size_t i);
/* The connection address in effect for media i (empty when none). */
sl_slice sl_sdp_media_conn(const sl_sdp *sdp, size_t i);
/* A hold offer (RFC 3264 8.4, RFC 2543): a media section with a port that is
 * sendonly or inactive, or whose connection address is 0.0.0.0. */
bool sl_sdp_is_hold(const sl_sdp *sdp);

/* The name and clock rate of a static RTP payload type (RFC 3551 table 4):
 * false when pt has none. */
bool sl_sdp_static_pt(unsigned pt, const char **name, uint32_t *rate);

/* Is this Content-Type value application/sdp (parameters ignored)? */
bool sl_sdp_is_content_type(sl_slice content_type);

/* The SDP part of a multipart body (RFC 2046: the boundary parameter of
 * content_type): its body without the part's headers. False when it has
 * none or the content type is not multipart. *off: the part's offset in body. */
bool sl_multipart_find_sdp(sl_slice content_type, sl_slice body, sl_slice *sdp, size_t *off);

/* The SDP of a SIP message: its body when its Content-Type is
 * application/sdp, or the application/sdp part of a multipart body. Parses
 * it into *sdp and returns true; false (sdp untouched) when the message
 * carries none. Anomaly offsets are within the message (body_off: where the
 * body starts in it). memo: as for sl_sdp_parse_memo(). */
bool sl_sdp_of_message(const sl_sip_msg *msg, size_t body_off, sl_sdp *sdp, sl_sdp_memo *memo,
                       sl_anomaly *an);

#endif
