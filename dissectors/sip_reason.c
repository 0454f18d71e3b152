#include "sipsleuth/sip_reason.h"

#include "sipsleuth/sip.h"

static bool is_token_char(uint8_t c)
{
    /* RFC 3261 token: alphanumerics and -.!%*_+`'~ */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '!' || c == '%' || c == '*' || c == '_' || c == '+' || c == '`' ||
           c == '\'' || c == '~';
}

static sl_slice unquoted(sl_slice v)
{
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
        return sl_slice_make(v.ptr + 1, v.len - 2);
    return v;
}

const char *sl_reason_protocol_name(sl_reason_protocol p)
{
    switch (p) {
    case SL_REASON_SIP: return "SIP";
    case SL_REASON_Q850: return "Q.850";
    case SL_REASON_STIR: return "STIR";
    case SL_REASON_OTHER: break;
    }
    return "other";
}

bool sl_sip_reason_next(sl_slice *rest, sl_sip_reason *out)
{
    sl_slice elem;
    while (sl_sip_next_element(rest, &elem)) {
        size_t n = 0;
        while (n < elem.len && is_token_char(elem.ptr[n]))
            n++;
        if (n == 0)
            continue;
        *out = (sl_sip_reason){.protocol_text = sl_slice_make(elem.ptr, n)};
        if (sl_slice_ieq(out->protocol_text, "SIP"))
            out->protocol = SL_REASON_SIP;
        else if (sl_slice_ieq(out->protocol_text, "Q.850"))
            out->protocol = SL_REASON_Q850;
        else if (sl_slice_ieq(out->protocol_text, "STIR"))
            out->protocol = SL_REASON_STIR;
        sl_slice params = sl_slice_make(elem.ptr + n, elem.len - n), v;
        uint64_t cause;
        if (sl_sip_param_get(params, "cause", &v) && sl_slice_to_u64(v, UINT16_MAX, &cause)) {
            out->has_cause = true;
            out->cause = (uint16_t)cause;
        }
        if (sl_sip_param_get(params, "text", &v))
            out->text = unquoted(v);
        return true;
    }
    return false;
}
