#include "sipsleuth/identity_header.h"

static bool is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_wsp(sl_slice s, size_t i)
{
    while (i < s.len && is_wsp(s.ptr[i]))
        i++;
    return i;
}

/* Index of c in s at or after `from`, or s.len. */
static size_t find_from(sl_slice s, size_t from, uint8_t c)
{
    for (size_t i = from; i < s.len; i++)
        if (s.ptr[i] == c)
            return i;
    return s.len;
}

static sl_slice sub(sl_slice s, size_t from, size_t to)
{
    return sl_slice_make(s.ptr + from, to - from);
}

/* ";name=value" parameters after the token. info, alg and ppt are kept (the
 * first of each); others are skipped. */
static sl_status parse_params(sl_slice s, sl_identity_hdr *out)
{
    bool have_info = false;
    size_t i = skip_wsp(s, 0);
    while (i < s.len) {
        if (s.ptr[i] == ';')
            i = skip_wsp(s, i + 1);
        else
            out->flags |= SL_IDH_F_MISSING_SEMI;
        if (i == s.len)
            break;
        size_t name_start = i;
        while (i < s.len && s.ptr[i] != '=' && s.ptr[i] != ';' && !is_wsp(s.ptr[i]))
            i++;
        sl_slice name = sub(s, name_start, i);
        i = skip_wsp(s, i);
        sl_slice value = sl_slice_make(NULL, 0);
        if (i < s.len && s.ptr[i] == '=') {
            i = skip_wsp(s, i + 1);
            if (i < s.len && (s.ptr[i] == '<' || s.ptr[i] == '"')) {
                uint8_t close = s.ptr[i] == '<' ? '>' : '"';
                size_t end = find_from(s, i + 1, close);
                if (end == s.len)
                    return SL_INVALID;
                value = sub(s, i + 1, end);
                if (close == '"' && !sl_slice_ieq(name, "info"))
                    out->flags |= SL_IDH_F_QUOTED_PARAM;
                if (close == '>' && !sl_slice_ieq(name, "info"))
                    return SL_INVALID;
                i = end + 1;
            } else {
                size_t start = i;
                while (i < s.len && s.ptr[i] != ';' && !is_wsp(s.ptr[i]))
                    i++;
                value = sub(s, start, i);
                if (sl_slice_ieq(name, "info") && value.len)
                    out->flags |= SL_IDH_F_INFO_NO_BRACKETS;
            }
        }
        if (name.len == 0 && value.len == 0) {
            if (i < s.len && s.ptr[i] != ';') /* a stray byte: skip it */
                i++;
            continue;
        }
        if (sl_slice_ieq(name, "info") && !have_info) {
            out->info = value;
            have_info = true;
        } else if (sl_slice_ieq(name, "alg") && !out->alg.len) {
            out->alg = value;
        } else if (sl_slice_ieq(name, "ppt") && !out->ppt.len) {
            out->ppt = value;
        }
        i = skip_wsp(s, i);
    }
    if (!have_info)
        out->flags |= SL_IDH_F_NO_INFO;
    return SL_OK;
}

sl_status sl_identity_header_parse(sl_slice value, sl_identity_hdr *out)
{
    memset(out, 0, sizeof *out);
    sl_slice v = sl_slice_trim(value);
    size_t rest;
    if (v.len && v.ptr[0] == '"') {
        size_t end = find_from(v, 1, '"');
        if (end == v.len)
            return SL_INVALID;
        out->token = sub(v, 1, end);
        rest = end + 1;
        if (sl_slice_find(out->token, '.') < 0) {
            out->form = SL_IDENTITY_RFC4474;
            out->signature = sl_slice_trim(out->token);
            if (!out->signature.len)
                return SL_INVALID;
            /* RFC 4474 carries its parameters in Identity-Info. */
            sl_status st = parse_params(sub(v, rest, v.len), out);
            out->flags &= ~(uint32_t)SL_IDH_F_NO_INFO;
            return st;
        }
        out->flags |= SL_IDH_F_QUOTED_TOKEN;
    } else {
        rest = find_from(v, 0, ';');
        size_t end = rest;
        while (end > 0 && is_wsp(v.ptr[end - 1]))
            end--;
        out->token = sub(v, 0, end);
    }
    sl_slice t = out->token;
    long d1 = sl_slice_find(t, '.');
    if (d1 < 0)
        return SL_INVALID;
    sl_slice after = sl_slice_from(t, (size_t)d1 + 1);
    long d2 = sl_slice_find(after, '.');
    if (d2 < 0 || sl_slice_find(sl_slice_from(after, (size_t)d2 + 1), '.') >= 0)
        return SL_INVALID;
    out->jws_header = sub(t, 0, (size_t)d1);
    out->jws_payload = sub(after, 0, (size_t)d2);
    out->signature = sl_slice_from(after, (size_t)d2 + 1);
    out->signing_input = sub(t, 0, (size_t)d1 + 1 + (size_t)d2);
    if (!out->signature.len)
        return SL_INVALID;
    if (!out->jws_header.len && !out->jws_payload.len)
        out->form = SL_IDENTITY_COMPACT;
    else if (!out->jws_header.len || !out->jws_payload.len)
        return SL_INVALID;
    else
        out->form = SL_IDENTITY_FULL;
    return parse_params(sub(v, rest, v.len), out);
}

sl_status sl_identity_info_parse(sl_slice value, sl_identity_hdr *out)
{
    /* Identity-Info is "<URL>;params": read it as parameters of an "info". */
    sl_slice v = sl_slice_trim(value);
    if (!v.len || v.ptr[0] != '<') {
        out->flags |= SL_IDH_F_INFO_NO_BRACKETS;
        size_t end = 0;
        while (end < v.len && v.ptr[end] != ';' && !is_wsp(v.ptr[end]))
            end++;
        out->info = sub(v, 0, end);
        uint32_t keep = out->flags;
        sl_status st = parse_params(sl_slice_from(v, end), out);
        out->flags = (out->flags & ~(uint32_t)SL_IDH_F_NO_INFO) | keep;
        return out->info.len ? st : SL_INVALID;
    }
    size_t end = find_from(v, 1, '>');
    if (end == v.len)
        return SL_INVALID;
    out->info = sub(v, 1, end);
    sl_status st = parse_params(sl_slice_from(v, end + 1), out);
    out->flags &= ~(uint32_t)SL_IDH_F_NO_INFO;
    return st;
}

sl_anomaly_kind sl_identity_flag_kind(uint32_t flag)
{
    switch (flag) {
    case SL_IDH_F_MISSING_SEMI: return SL_ANOM_IDENTITY_MISSING_SEMICOLON;
    case SL_IDH_F_INFO_NO_BRACKETS: return SL_ANOM_IDENTITY_INFO_NO_BRACKETS;
    case SL_IDH_F_QUOTED_PARAM: return SL_ANOM_IDENTITY_QUOTED_PARAM;
    case SL_IDH_F_QUOTED_TOKEN: return SL_ANOM_IDENTITY_QUOTED_TOKEN;
    case SL_IDH_F_NO_INFO: return SL_ANOM_IDENTITY_NO_INFO;
    default: return SL_ANOM_NONE;
    }
}
