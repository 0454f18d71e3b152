/* SIP header helpers: lookups, list splitting, name-addr,
 * parameters and CSeq. Everything returns slices of the caller's buffer. */
#include "sipsleuth/sip.h"

#include "byte_scan.h"

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}
static inline bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* RFC 3261 token characters. */
/* clang-format off */
static const uint8_t tchars[256] = {
    ['!'] = 1, ['%'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1,
    ['_'] = 1, ['`'] = 1, ['~'] = 1,
    ['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['A'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['a'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */
static inline bool is_tchar(uint8_t c)
{
    return tchars[c];
}

const sl_sip_header *sl_sip_find_next(const sl_sip_msg *msg, const sl_sip_header *prev)
{
    if (!prev || !msg->headers)
        return NULL;
    const sl_sip_header *end = msg->headers + msg->n_headers;
    if (prev < msg->headers || prev >= end)
        return NULL;
    for (const sl_sip_header *h = prev + 1; h < end; h++)
        if (h->id == prev->id)
            return h;
    return NULL;
}

/* Skips a quoted string starting at p[i] == '"'; returns the index of the
 * closing quote, or n when it is missing. */
static size_t skip_quoted(const uint8_t *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        i += sl_scan_any3(p + i, n - i, '"', '\\', '\\');
        if (i == n || p[i] == '"')
            return i;
        if (i + 1 < n)
            i++; /* the escaped byte */
    }
    return n;
}

bool sl_sip_next_element(sl_slice *rest, sl_slice *elem)
{
    const uint8_t *p = rest->ptr;
    size_t n = rest->len, i = 0;
    while (i < n && (sl_is_lws(p[i]) || p[i] == ','))
        i++; /* empty list elements are allowed (RFC 3261 7.3.1) */
    if (i == n) {
        rest->ptr = p ? p + n : p;
        rest->len = 0;
        return false;
    }
    size_t start = i;
    /* Most elements hold no quote and no '<' (a Via): then the element ends
     * at the first comma, found with one vector scan for the three bytes. */
    i += sl_scan_any3(p + i, n - i, ',', '"', '<');
    while (i < n && p[i] != ',') {
        /* a quoted string or <...> (no quoting inside it), then on to the next */
        if (p[i] == '"') {
            i = skip_quoted(p, n, i);
        } else {
            const uint8_t *gt = memchr(p + i + 1, '>', n - i - 1);
            i = gt ? (size_t)(gt - p) : n;
        }
        if (i < n) {
            i++;
            i += sl_scan_any3(p + i, n - i, ',', '"', '<');
        }
    }
    *elem = sl_slice_trim(sl_slice_make(p + start, i - start));
    *rest = sl_slice_make(p + i, n - i);
    return true;
}

size_t sl_sip_unfold(sl_slice value, uint8_t *out, size_t cap)
{
    const uint8_t *p = value.ptr;
    size_t n = value.len, i = 0, o = 0;
    while (i < n && o < cap) {
        if (!sl_is_lws(p[i])) {
            out[o++] = p[i++];
            continue;
        }
        size_t j = i;
        bool fold = false;
        for (; j < n && sl_is_lws(p[j]); j++)
            fold |= p[j] == '\r' || p[j] == '\n';
        if (fold) {
            out[o++] = ' ';
            i = j;
        } else {
            while (i < j && o < cap)
                out[o++] = p[i++];
        }
    }
    return o;
}

/* What follows the URI must be empty or header parameters. */
static sl_status set_params(sl_slice e, size_t i, sl_sip_nameaddr *out)
{
    while (i < e.len && sl_is_lws(e.ptr[i]))
        i++;
    out->params = sl_slice_make(e.ptr + i, e.len - i);
    return (i == e.len || e.ptr[i] == ';') ? SL_OK : SL_INVALID;
}

sl_status sl_sip_nameaddr_parse(sl_slice elem, sl_sip_nameaddr *out)
{
    memset(out, 0, sizeof *out);
    sl_slice e = sl_slice_trim(elem);
    const uint8_t *p = e.ptr;
    size_t n = e.len;
    if (n == 0)
        return SL_INVALID;

    if (p[0] == '*' && (n == 1 || sl_is_lws(p[1]) || p[1] == ';')) {
        out->star = true;
        out->uri = sl_slice_make(p, 1);
        return set_params(e, 1, out);
    }

    size_t lt;
    if (p[0] == '"') {
        size_t q = skip_quoted(p, n, 0);
        if (q == n)
            return SL_INVALID;
        out->display = sl_slice_make(p + 1, q - 1);
        lt = q + 1;
        while (lt < n && sl_is_lws(p[lt]))
            lt++;
        if (lt == n || p[lt] != '<')
            return SL_INVALID;
    } else {
        /* Tokens before '<' are a display name; a ':' first means a bare
         * addr-spec, since a URI has a scheme and a token cannot hold ':'. */
        lt = 0;
        while (lt < n && p[lt] != '<' && p[lt] != ':')
            lt++;
        if (lt < n && p[lt] == '<') {
            out->display = sl_slice_trim(sl_slice_make(p, lt));
        } else {
            size_t i = 0;
            while (i < n && p[i] != ';' && p[i] != ',' && !sl_is_lws(p[i]))
                i++;
            out->uri = sl_slice_make(p, i);
            return i ? set_params(e, i, out) : SL_INVALID;
        }
    }

    const uint8_t *gt = memchr(p + lt + 1, '>', n - lt - 1);
    if (!gt)
        return SL_INVALID;
    out->uri = sl_slice_trim(sl_slice_make(p + lt + 1, (size_t)(gt - p) - lt - 1));
    if (out->uri.len == 0)
        return SL_INVALID;
    return set_params(e, (size_t)(gt - p) + 1, out);
}

/* Where the parameter that starts at p[i] ends: the first ';' outside a
 * quoted string, or n. */
static size_t param_end(const uint8_t *p, size_t n, size_t i)
{
    for (;;) {
        if (n - i >= 8 && n - i < 16)
            i += sl_scan2_8to16(p + i, n - i, ';', '"');
        else
            i += sl_scan_any3(p + i, n - i, ';', '"', '"');
        if (i == n || p[i] == ';')
            return i;
        i = skip_quoted(p, n, i);
        if (i == n)
            return n;
        i++;
    }
}

void sl_sip_param_value_from(sl_slice params, size_t vs, sl_slice *value)
{
    const uint8_t *p = params.ptr;
    size_t n = params.len, ve = param_end(p, n, vs);
    while (vs < ve && sl_is_lws(p[vs]))
        vs++;
    while (ve > vs && sl_is_lws(p[ve - 1]))
        ve--;
    *value = sl_slice_make(p + vs, ve - vs);
}

/* A parameter is `name [= value]`, both trimmed; the name is compared first,
 * so a parameter with another name costs only the skip to its end (nearly
 * every lookup, branch or tag, hits the first parameter). */
bool sl_sip_param_get_n(sl_slice params, const char *name, size_t wl, sl_slice *value)
{
    const uint8_t *p = params.ptr;
    size_t n = params.len, i = 0;
    if (wl == 0)
        return false;
    while (i < n) {
        size_t j = i;
        while (j < n && sl_is_lws(p[j]))
            j++;
        if (j < n && p[j] == ';') {
            i = j + 1; /* an empty parameter: the one before the leading ';' */
            continue;
        }
        size_t k = j;
        /* true or false by the caller's bytes; cppcheck follows one call's constants */
        // cppcheck-suppress knownConditionTrueFalse
        if (n - j >= wl) {
            /* the same case first: the name is nearly always written as asked */
            while (k < j + wl &&
                   (p[k] == (uint8_t)name[k - j] || lower(p[k]) == lower((uint8_t)name[k - j])))
                k++;
        }
        if (k == j + wl) {
            size_t nend = k;
            while (k < n && sl_is_lws(p[k]))
                k++;
            if (k == n || p[k] == ';') {
                *value = sl_slice_make(p + nend, 0);
                return true;
            }
            if (p[k] == '=') {
                sl_sip_param_value_from(params, k + 1, value);
                return true;
            }
        }
        i = param_end(p, n, i) + 1;
    }
    return false;
}

sl_status sl_sip_cseq_parse(sl_slice value, sl_sip_cseq *out)
{
    memset(out, 0, sizeof *out);
    sl_slice v = sl_slice_trim(value);
    const uint8_t *p = v.ptr;
    size_t n = v.len, i = 0;
    uint64_t num = 0;
    for (; i < n && is_digit(p[i]); i++) {
        num = num * 10 + (uint64_t)(p[i] - '0');
        if (num > UINT32_MAX)
            return SL_INVALID;
    }
    if (i == 0)
        return SL_INVALID;
    size_t ws = i;
    while (i < n && sl_is_lws(p[i]))
        i++;
    if (i == ws || i == n)
        return SL_INVALID;
    size_t m = i;
    while (i < n && is_tchar(p[i]))
        i++;
    if (i != n)
        return SL_INVALID;
    out->number = (uint32_t)num;
    out->method = sl_slice_make(p + m, n - m);
    return SL_OK;
}

sl_slice sl_sip_find_call_id(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len;) {
        const uint8_t *lf = memchr(data + i, '\n', len - i);
        if (!lf)
            break;
        size_t end = (size_t)(lf - data), colon = i;
        while (colon < end && data[colon] != ':')
            colon++;
        if (colon < end && sl_sip_header_id(sl_slice_make(data + i, colon - i)) == SL_HDR_CALL_ID) {
            size_t v = colon + 1;
            while (v < end && (data[v] == ' ' || data[v] == '\t'))
                v++;
            size_t e = end;
            while (e > v && (data[e - 1] == '\r' || data[e - 1] == ' ' || data[e - 1] == '\t'))
                e--;
            return sl_slice_make(data + v, e - v);
        }
        i = end + 1;
    }
    return sl_slice_make(NULL, 0);
}
