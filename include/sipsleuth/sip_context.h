/* One dissected SIP message as the analyzers see it: the parsed view, the
 * packet it came in, and the few fields every analyzer needs, extracted once
 * by the pipeline. Valid only while that message is processed. */
#ifndef SIPSLEUTH_SIP_CONTEXT_H
#define SIPSLEUTH_SIP_CONTEXT_H

#include "sipsleuth/event.h"
#include "sipsleuth/sdp.h"
#include "sipsleuth/sip.h"

typedef struct sl_sip_ctx {
    sl_time ts;   /* capture time of the packet that completed the message */
    sl_flow flow; /* its 5-tuple; proto UDP or TCP */
    const sl_sip_msg *msg;
    sl_slice raw; /* the whole message as it arrived (reassembled if it was split) */

    sl_slice call_id;
    bool has_cseq;
    sl_sip_cseq cseq;
    sl_sip_nameaddr from, to;  /* zeroed when absent or unparsable */
    sl_slice from_tag, to_tag; /* empty when absent */
    sl_slice via_branch;       /* branch of the top Via; empty when absent */
    sl_slice via_sent_by;      /* sent-by (host[:port]) of the top Via */

    /* The body's SDP (sl_sip_ctx_media); NULL when the message carries none. */
    const sl_sdp *sdp;
    sl_anomaly sdp_anomaly; /* its first finding; offset within raw */

    /* Set by the transaction tracker before the `sip` event is written. */
    bool retransmission;
} sl_sip_ctx;

/* Fills ctx from msg (call_id, cseq, from/to, tags, top Via). */
void sl_sip_ctx_init(sl_sip_ctx *ctx, const sl_sip_msg *msg, sl_time ts, const sl_flow *flow);
/* Parses the SDP of the message into *storage and points ctx->sdp at it,
 * when its Content-Type says it has one (call after raw is set); memo: the
 * caller's sl_sdp_memo, or NULL. */
void sl_sip_ctx_media(sl_sip_ctx *ctx, sl_sdp *storage, sl_sdp_memo *memo);

#endif
