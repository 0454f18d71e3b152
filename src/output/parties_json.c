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

static void first_last(sl_jw *w, const char *key, sl_slice first, sl_slice last)
{
    if (!first.len)
        return;
    sl_jw_key(w, key);
    sl_jw_obj_begin(w);
    sl_jw_kslice(w, "first", first);
    sl_jw_kslice(w, "last", last);
    sl_jw_obj_end(w);
}

void sl_json_party_details(sl_jw *w, const sl_sip_parties *pt)
{
    static const char *const keys[] = {
        [SL_PARTY_ASSERTED] = "asserted_identity",
        [SL_PARTY_PREFERRED] = "preferred_identity",
        [SL_PARTY_RPID] = "remote_party_id",
    };
    for (int i = SL_PARTY_ASSERTED; i <= SL_PARTY_RPID; i++)
        if (pt->v[i].len)
            sl_jw_kslice(w, keys[i], pt->v[i]);
    first_last(w, "diversion", pt->v[SL_PARTY_DIVERSION_FIRST], pt->v[SL_PARTY_DIVERSION_LAST]);
    first_last(w, "history_info", pt->v[SL_PARTY_HISTORY_FIRST], pt->v[SL_PARTY_HISTORY_LAST]);
}

void sl_json_parties(sl_jw *w, const sl_sip_ctx *ctx)
{
    const sl_sip_msg *msg = ctx->msg;
    sl_sip_parties pt;
    sl_sip_parties_get(msg, &ctx->from, &ctx->to, &pt);
    if (msg->is_request)
        sl_json_user(w, "ruri_user", msg->request_uri);
    sl_json_user(w, "from_user", ctx->from.uri);
    if (pt.v[SL_PARTY_FROM_DISPLAY].len)
        sl_jw_kslice(w, "from_display", pt.v[SL_PARTY_FROM_DISPLAY]);
    sl_json_user(w, "to_user", ctx->to.uri);
    if (pt.v[SL_PARTY_TO_DISPLAY].len)
        sl_jw_kslice(w, "to_display", pt.v[SL_PARTY_TO_DISPLAY]);
    sl_json_party_details(w, &pt);
}
