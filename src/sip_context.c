#include "sipsleuth/sip_context.h"

/* Top Via: "SIP/2.0/UDP host:port;branch=z9hG4bK..." → sent-by and branch. */
static void parse_top_via(sl_sip_ctx *ctx, const sl_sip_header *via)
{
    sl_slice rest = via->value, elem;
    if (!sl_sip_next_element(&rest, &elem))
        return;
    /* skip the protocol "SIP / 2.0 / UDP" (LWS allowed around '/') up to the sent-by */
    size_t i = 0, slashes = 0;
    if (elem.len >= 8 && sl_slice_istarts(elem, "SIP/2.0/"))
        i = 8, slashes = 2; /* nearly always so written */
    while (i < elem.len && slashes < 2) {
        if (elem.ptr[i] == '/')
            slashes++;
        i++;
    }
    while (i < elem.len && (elem.ptr[i] == ' ' || elem.ptr[i] == '\t'))
        i++;
    while (i < elem.len && elem.ptr[i] != ' ' && elem.ptr[i] != '\t' && elem.ptr[i] != ';')
        i++; /* transport */
    sl_slice sent_by = sl_slice_trim(sl_slice_from(elem, i));
    long semi = sl_slice_find(sent_by, ';');
    sl_slice params = sl_slice_make(sent_by.ptr, 0);
    if (semi >= 0) {
        params = sl_slice_from(sent_by, (size_t)semi);
        sent_by.len = (size_t)semi;
    }
    ctx->via_sent_by = sl_slice_trim(sent_by);
    sl_slice branch;
    if (sl_sip_param_get(params, "branch", &branch))
        ctx->via_branch = branch;
}

static void parse_party(const sl_sip_msg *msg, sl_sip_hdr_id id, sl_sip_nameaddr *na, sl_slice *tag)
{
    const sl_sip_header *h = sl_sip_find(msg, id);
    if (!h || sl_sip_nameaddr_parse(h->value, na) != SL_OK) {
        memset(na, 0, sizeof *na);
        return;
    }
    sl_slice t;
    if (sl_sip_param_get(na->params, "tag", &t))
        *tag = t;
}

void sl_sip_ctx_init(sl_sip_ctx *ctx, const sl_sip_msg *msg, sl_time ts, const sl_flow *flow)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->ts = ts;
    ctx->flow = *flow;
    ctx->msg = msg;
    const sl_sip_header *h = sl_sip_find(msg, SL_HDR_CALL_ID);
    if (h)
        ctx->call_id = h->value;
    h = sl_sip_find(msg, SL_HDR_CSEQ);
    ctx->has_cseq = h && sl_sip_cseq_parse(h->value, &ctx->cseq) == SL_OK;
    parse_party(msg, SL_HDR_FROM, &ctx->from, &ctx->from_tag);
    parse_party(msg, SL_HDR_TO, &ctx->to, &ctx->to_tag);
    h = sl_sip_find(msg, SL_HDR_VIA);
    if (h)
        parse_top_via(ctx, h);
}

void sl_sip_ctx_media(sl_sip_ctx *ctx, sl_sdp *storage, sl_sdp_memo *memo)
{
    const sl_sip_msg *msg = ctx->msg;
    if (!msg->body.len)
        return;
    size_t body_off = 0;
    if (ctx->raw.ptr && msg->body.ptr >= ctx->raw.ptr)
        body_off = (size_t)(msg->body.ptr - ctx->raw.ptr);
    if (sl_sdp_of_message(msg, body_off, storage, memo, &ctx->sdp_anomaly))
        ctx->sdp = storage;
}
