/* URIs as SIP carries them: sip:/sips: (RFC 3261 19.1), tel: (RFC 3966);
 * any other scheme is only recognised as one. */
#include "sipsleuth/sip.h"

#include "byte_scan.h"

static inline bool is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}
static inline bool is_hex(uint8_t c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Byte classes, a table: the scheme and the host are walked byte by byte.
 * '_' is not in the host grammar but common in real host names. */
enum { HOST = 1, SCHEME = 2 };
/* clang-format off */
static const uint8_t classes[256] = {
    ['+'] = SCHEME, ['-'] = HOST | SCHEME, ['.'] = HOST | SCHEME, ['_'] = HOST,
    ['0'] = 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    ['A'] = 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    ['a'] = 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};
/* clang-format on */
static inline bool is_scheme_char(uint8_t c)
{
    return classes[c] & SCHEME;
}
static inline bool is_host_char(uint8_t c)
{
    return classes[c] & HOST;
}

/* sip, sips or tel in any case (OR-ing 0x20 folds a letter and leaves every
 * other byte unequal to the lower-case letter it is compared with). */
static sl_uri_scheme scheme_of(const uint8_t *p, size_t n)
{
    if (n < 3 || n > 4)
        return SL_URI_OTHER;
    uint8_t a = p[0] | 0x20, b = p[1] | 0x20, c = p[2] | 0x20;
    if (a == 's' && b == 'i' && c == 'p')
        return n == 3 ? SL_URI_SIP : (p[3] | 0x20) == 's' ? SL_URI_SIPS : SL_URI_OTHER;
    return n == 3 && a == 't' && b == 'e' && c == 'l' ? SL_URI_TEL : SL_URI_OTHER;
}

/* RFC 3966 phonedigit-hex and visual separators, plus '+' of a global number. */
static bool is_tel_char(uint8_t c)
{
    return is_hex(c) || c == '*' || c == '#' || c == '+' || c == '-' || c == '.' || c == '(' ||
           c == ')';
}

static sl_status parse_tel(const uint8_t *p, size_t n, size_t i, sl_sip_uri *out)
{
    size_t start = i;
    while (i < n && p[i] != ';') {
        if (!is_tel_char(p[i]))
            return SL_INVALID;
        i++;
    }
    if (i == start)
        return SL_INVALID;
    out->user = sl_slice_make(p + start, i - start);
    out->params = sl_slice_make(p + i, n - i);
    return SL_OK;
}

static sl_status parse_sip(const uint8_t *p, size_t n, size_t i, sl_sip_uri *out)
{
    /* The user part may hold '?' and ';' while header values sometimes carry a
     * raw '@' (Replaces=id@host): only an '@' before the first '?' ends the userinfo. */
    const uint8_t *q = memchr(p + i, '?', n - i);
    size_t qpos = q ? (size_t)(q - p) : n;
    const uint8_t *at = memchr(p + i, '@', qpos - i);
    if (at) {
        size_t a = (size_t)(at - p);
        const uint8_t *colon = memchr(p + i, ':', a - i);
        size_t user_end = colon ? (size_t)(colon - p) : a;
        if (user_end == i)
            return SL_INVALID;
        out->user = sl_slice_make(p + i, user_end - i);
        if (colon)
            out->password = sl_slice_make(p + user_end + 1, a - user_end - 1);
        i = a + 1;
    }

    size_t h = i;
    if (i < n && p[i] == '[') {
        const uint8_t *rb = memchr(p + i, ']', qpos - i);
        if (!rb)
            return SL_INVALID;
        size_t end = (size_t)(rb - p);
        bool colon = false;
        for (size_t k = i + 1; k < end; k++) {
            if (p[k] == ':')
                colon = true;
            else if (!is_hex(p[k]) && p[k] != '.')
                return SL_INVALID;
        }
        if (!colon)
            return SL_INVALID;
        i = end + 1;
    } else {
        while (i < n && is_host_char(p[i]))
            i++;
        if (i == h)
            return SL_INVALID;
    }
    out->host = sl_slice_make(p + h, i - h);

    if (i < n && p[i] == ':') {
        size_t ps = ++i;
        uint32_t port = 0;
        for (; i < n && is_digit(p[i]); i++) {
            port = port * 10 + (uint32_t)(p[i] - '0');
            if (port > 65535)
                return SL_INVALID;
        }
        if (i == ps)
            return SL_INVALID;
        out->port = (int)port;
    }
    if (i < n && p[i] == ';') {
        const uint8_t *hq = memchr(p + i, '?', n - i);
        size_t end = hq ? (size_t)(hq - p) : n;
        out->params = sl_slice_make(p + i, end - i);
        i = end;
    }
    if (i < n && p[i] == '?') {
        out->headers = sl_slice_make(p + i + 1, n - i - 1);
        i = n;
    }
    return i == n ? SL_OK : SL_INVALID;
}

sl_status sl_sip_uri_parse(sl_slice text, sl_sip_uri *out)
{
    memset(out, 0, sizeof *out);
    out->port = -1;
    const uint8_t *p = text.ptr;
    size_t n = text.len, i = 0;
    if (n == 0 || !is_alpha(p[0]))
        return SL_INVALID;
    while (i < n && is_scheme_char(p[i]))
        i++;
    if (i == n || p[i] != ':')
        return SL_INVALID;
    if (sl_scan_ctl_or_space(p + i + 1, n - i - 1) != n - i - 1)
        return SL_INVALID;

    out->scheme_text = sl_slice_make(p, i);
    /* Absent parts are empty slices at the end of the text. */
    out->user = out->password = out->host = out->params = out->headers = sl_slice_make(p + n, 0);
    out->scheme = scheme_of(p, i);
    if (out->scheme == SL_URI_OTHER)
        return SL_OK;
    if (out->scheme == SL_URI_TEL)
        return parse_tel(p, n, i + 1, out);
    return parse_sip(p, n, i + 1, out);
}
