#include "writers.h"

void sl_json_header_value(sl_jw *w, sl_slice value)
{
    if (sl_jw_plain(w, value.ptr, value.len))
        return; /* the usual case: no folding (CR, LF), nothing to escape */
    if (sl_slice_find(value, '\n') < 0 && sl_slice_find(value, '\r') < 0) {
        sl_jw_slice(w, value);
        return;
    }
    uint8_t buf[1024];
    size_t n = sl_sip_unfold(value, buf, sizeof buf);
    sl_jw_bytes(w, buf, n);
}

static void kheader(sl_jw *w, const char *key, const sl_sip_msg *msg, sl_sip_hdr_id id)
{
    const sl_sip_header *h = sl_sip_find(msg, id);
    if (h) {
        sl_jw_key(w, key);
        sl_json_header_value(w, h->value);
    }
}

/* The Contact URIs, across all Contact headers and comma-separated elements:
 * at most max of them. */
static void write_contacts(sl_jw *w, const sl_sip_msg *msg, size_t max)
{
    sl_jw_key(w, "contacts");
    sl_jw_arr_begin(w);
    size_t n = 0;
    for (const sl_sip_header *h = sl_sip_find(msg, SL_HDR_CONTACT); h && n < max;
         h = sl_sip_find_next(msg, h)) {
        sl_slice rest = h->value, elem;
        while (n < max && sl_sip_next_element(&rest, &elem)) {
            n++;
            sl_sip_nameaddr na;
            if (sl_sip_nameaddr_parse(elem, &na) != SL_OK)
                continue;
            if (na.star)
                sl_jw_str(w, "*");
            else
                sl_jw_slice(w, na.uri);
        }
    }
    sl_jw_arr_end(w);
}

/* Reason values listed per message, across its Reason headers. */
#define MAX_REASONS 8

/* reason_headers: each Reason value (RFC 3326), with a Q.850 cause's name. */
static void write_reasons(sl_jw *w, const sl_sip_msg *msg)
{
    const sl_sip_header *h = sl_sip_find(msg, SL_HDR_REASON);
    if (!h)
        return;
    sl_jw_key(w, "reason_headers");
    sl_jw_arr_begin(w);
    size_t n = 0;
    for (; h && n < MAX_REASONS; h = sl_sip_find_next(msg, h)) {
        sl_slice rest = h->value;
        sl_sip_reason r;
        while (n < MAX_REASONS && sl_sip_reason_next(&rest, &r)) {
            n++;
            sl_jw_obj_begin(w);
            if (r.protocol == SL_REASON_OTHER)
                sl_jw_kslice(w, "protocol", r.protocol_text);
            else
                sl_jw_kstr(w, "protocol", sl_reason_protocol_name(r.protocol));
            if (r.has_cause) {
                sl_jw_kuint(w, "cause", r.cause);
                const char *name =
                    r.protocol == SL_REASON_Q850 ? sl_q850_cause_name(r.cause) : NULL;
                if (name)
                    sl_jw_kstr(w, "cause_name", name);
            }
            if (r.text.len)
                sl_jw_kslice(w, "text", r.text);
            sl_jw_obj_end(w);
        }
    }
    sl_jw_arr_end(w);
}

void sl_json_sip(sl_jw *w, const sl_sip_event *ev, bool with_raw, size_t max_contacts,
                 sl_text_memo *memo)
{
    const sl_sip_ctx *ctx = ev->msg;
    const sl_sip_msg *msg = ctx->msg;
    if (msg->is_request) {
        sl_jw_kslice(w, "method", msg->method);
        sl_jw_kslice(w, "request_uri", msg->request_uri);
    } else {
        sl_jw_key(w, "method");
        if (ctx->has_cseq)
            sl_jw_slice(w, ctx->cseq.method);
        else
            sl_jw_null(w);
        sl_jw_kint(w, "status_code", msg->status_code);
        sl_jw_kslice(w, "reason_phrase", msg->reason);
    }
    sl_jw_kslice_or_null(w, "from", ctx->from.uri);
    sl_jw_kslice_or_null(w, "from_tag", ctx->from_tag);
    sl_jw_kslice_or_null(w, "to", ctx->to.uri);
    sl_jw_kslice_or_null(w, "to_tag", ctx->to_tag);
    sl_json_parties(w, ctx);
    kheader(w, "cseq", msg, SL_HDR_CSEQ);
    write_contacts(w, msg, max_contacts);
    kheader(w, "user_agent", msg, SL_HDR_USER_AGENT);
    kheader(w, "server", msg, SL_HDR_SERVER);
    write_reasons(w, msg);
    if (ctx->sdp) {
        sl_jw_key(w, "media");
        sl_json_sdp(w, memo, ctx->sdp);
    }
    sl_jw_kbool(w, "retransmission", ev->retransmission);
    if (ev->truncated)
        sl_jw_kbool(w, "truncated", true);
    if (with_raw)
        sl_jw_kslice(w, "raw", ctx->raw);
}
