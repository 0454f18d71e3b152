/* Who called whom: the user parts of From, To and the Request-URI, display
 * names, the asserted identity and the forwarding history of a message. */
#include "writers.h"

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void sl_json_user(sl_jw *w, const char *key, sl_slice uri)
{
    sl_sip_uri u;
    if (uri.len == 0 || sl_sip_uri_parse(uri, &u) != SL_OK || u.user.len == 0)
        return;
    uint8_t buf[256]; /* the longest user part kept; a longer one is cut */
    size_t n = 0;
    const uint8_t *p = u.user.ptr;
    for (size_t i = 0; i < u.user.len && n < sizeof buf; i++) {
        int hi, lo;
        if (p[i] == '%' && i + 2 < u.user.len && (hi = hex_value(p[i + 1])) >= 0 &&
            (lo = hex_value(p[i + 2])) >= 0) {
            buf[n++] = (uint8_t)(hi << 4 | lo); /* RFC 3261 19.1.2: escaped octets */
            i += 2;
        } else {
            buf[n++] = p[i];
        }
    }
    sl_jw_kbytes_n(w, key, strlen(key), buf, n);
}

/* The URI of the first value of the first header named name (or with id). */
static bool first_uri(const sl_sip_msg *msg, sl_sip_hdr_id id, const char *name, sl_slice *uri)
{
    for (size_t i = 0; i < msg->n_headers; i++) {
        const sl_sip_header *h = &msg->headers[i];
        if (id != SL_HDR_OTHER ? h->id != id : !sl_slice_ieq(h->name, name))
            continue;
        sl_slice rest = h->value, elem;
        sl_sip_nameaddr na;
        if (sl_sip_next_element(&rest, &elem) && sl_sip_nameaddr_parse(elem, &na) == SL_OK &&
            na.uri.len) {
            *uri = na.uri;
            return true;
        }
    }
    return false;
}

/* The first and last URIs across the headers named name (Diversion,
 * History-Info): where a forwarded call was first meant to go, and the hop
 * before this one. */
static void first_and_last(sl_jw *w, const char *key, const sl_sip_msg *msg, const char *name)
{
    sl_slice first = {0}, last = {0};
    for (size_t i = 0; i < msg->n_headers; i++) {
        const sl_sip_header *h = &msg->headers[i];
        if (h->id != SL_HDR_OTHER || !sl_slice_ieq(h->name, name))
            continue;
        sl_slice rest = h->value, elem;
        while (sl_sip_next_element(&rest, &elem)) {
            sl_sip_nameaddr na;
            if (sl_sip_nameaddr_parse(elem, &na) != SL_OK || na.uri.len == 0)
                continue;
            if (!first.len)
                first = na.uri;
            last = na.uri;
        }
    }
    if (!first.len)
        return;
    sl_jw_key(w, key);
    sl_jw_obj_begin(w);
    sl_jw_kslice(w, "first", first);
    sl_jw_kslice(w, "last", last);
    sl_jw_obj_end(w);
}

void sl_json_parties(sl_jw *w, const sl_sip_ctx *ctx)
{
    const sl_sip_msg *msg = ctx->msg;
    if (msg->is_request)
        sl_json_user(w, "ruri_user", msg->request_uri);
    sl_json_user(w, "from_user", ctx->from.uri);
    if (ctx->from.display.len)
        sl_jw_kslice(w, "from_display", ctx->from.display);
    sl_json_user(w, "to_user", ctx->to.uri);
    if (ctx->to.display.len)
        sl_jw_kslice(w, "to_display", ctx->to.display);
    sl_slice uri;
    if (first_uri(msg, SL_HDR_P_ASSERTED_IDENTITY, NULL, &uri))
        sl_jw_kslice(w, "asserted_identity", uri);
    if (first_uri(msg, SL_HDR_OTHER, "P-Preferred-Identity", &uri))
        sl_jw_kslice(w, "preferred_identity", uri);
    if (first_uri(msg, SL_HDR_OTHER, "Remote-Party-ID", &uri))
        sl_jw_kslice(w, "remote_party_id", uri);
    first_and_last(w, "diversion", msg, "Diversion");
    first_and_last(w, "history_info", msg, "History-Info");
}
