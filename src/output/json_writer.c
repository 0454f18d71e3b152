#include "json_writer.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void sl_jw_init(sl_jw *w)
{
    memset(w, 0, sizeof *w);
}

void sl_jw_free(sl_jw *w)
{
    free(w->buf);
    sl_jw_init(w);
}

void sl_jw_reset(sl_jw *w)
{
    w->len = 0;
    w->failed = false;
    w->depth = 0;
    w->need_comma[0] = false;
}

/* The buffer grown to hold extra more bytes; false (and the writer failed)
 * when memory runs out. */
static bool grow(sl_jw *w, size_t extra)
{
    if (w->failed)
        return false;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < extra)
        cap *= 2;
    char *nb = realloc(w->buf, cap);
    if (!nb) {
        w->failed = true;
        return false;
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

/* Room for extra more bytes: inline, as nearly every call has it already. */
static inline bool reserve(sl_jw *w, size_t extra)
{
    if (!w->failed && w->cap - w->len >= extra)
        return true;
    return grow(w, extra);
}

/* memcpy for the short keys and values of members: overlapping word moves
 * instead of a call into libc for a few bytes. */
static inline void copy_short(char *o, const char *p, size_t n)
{
    uint64_t a, b;
    uint32_t c, d;
    if (n >= 16) {
        memcpy(o, p, n);
    } else if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n >= 4) {
        memcpy(&c, p, 4);
        /* p holds n bytes: cppcheck pairs one caller's n with another's literal */
        // cppcheck-suppress pointerOutOfBoundsCond
        memcpy(&d, p + n - 4, 4);
        memcpy(o, &c, 4);
        memcpy(o + n - 4, &d, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            o[i] = p[i];
    }
}

static inline void put(sl_jw *w, const char *s, size_t n)
{
    if (reserve(w, n)) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

static inline void putc_(sl_jw *w, char c)
{
    if (reserve(w, 1))
        w->buf[w->len++] = c;
}

/* Before any value or key: a comma if a sibling came first. */
static void sep(sl_jw *w)
{
    if (w->need_comma[w->depth])
        putc_(w, ',');
    w->need_comma[w->depth] = true;
}

static void open_(sl_jw *w, char c)
{
    sep(w);
    putc_(w, c);
    assert(w->depth < SL_JW_MAX_DEPTH);
    w->need_comma[++w->depth] = false;
}

static void close_(sl_jw *w, char c)
{
    assert(w->depth > 0);
    w->depth--;
    putc_(w, c);
}

void sl_jw_obj_begin(sl_jw *w)
{
    open_(w, '{');
}
void sl_jw_obj_end(sl_jw *w)
{
    close_(w, '}');
}
void sl_jw_arr_begin(sl_jw *w)
{
    open_(w, '[');
}
void sl_jw_arr_end(sl_jw *w)
{
    close_(w, ']');
}

static void escape(sl_jw *w, const uint8_t *p, size_t n);

/* Writes `,"key":` (the comma when a sibling came first) with room for
 * `extra` more bytes after it, and marks the member as written: the value
 * must follow. Returns where it goes, NULL when out of memory. One reserve
 * covers key and value. */
static inline char *member(sl_jw *w, const char *key, size_t n, size_t extra)
{
    if (!reserve(w, n + 4 + extra))
        return NULL;
    char *o = w->buf + w->len;
    if (w->need_comma[w->depth])
        *o++ = ',';
    *o++ = '"';
    copy_short(o, key, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    w->need_comma[w->depth] = true;
    return o;
}

void sl_jw_kraw_n(sl_jw *w, const char *key, size_t key_len, const char *json, size_t n)
{
    char *o = member(w, key, key_len, n);
    if (!o)
        return;
    copy_short(o, json, n);
    w->len = (size_t)(o + n - w->buf);
}

void sl_jw_key_n(sl_jw *w, const char *key, size_t key_len)
{
    char *o = member(w, key, key_len, 0);
    if (!o)
        return;
    w->len = (size_t)(o - w->buf);
    /* the value that follows must not get a comma of its own */
    w->need_comma[w->depth] = false;
}

void sl_jw_key_untrusted(sl_jw *w, const char *key)
{
    sep(w);
    escape(w, (const uint8_t *)key, strlen(key));
    putc_(w, ':');
    w->need_comma[w->depth] = false;
}

/* After a value: the next sibling needs a comma. */
static inline void done(sl_jw *w)
{
    w->need_comma[w->depth] = true;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Bytes that can be copied as they are: printable ASCII but '"' and '\\'. */
static inline bool plain(uint8_t c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

/* True when none of the 8 bytes in x needs escaping: no byte < 0x20, none
 * >= 0x7F, no '"' and no '\\' (exact "any byte" tests, SWAR), so plain text
 * is copied 8 bytes at a time. */
static inline bool plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t lt = (x - ones * 0x20) & ~x & high;
    uint64_t q = x ^ (ones * 0x22), b = x ^ (ones * 0x5C), d = x ^ (ones * 0x7F);
    q = (q - ones) & ~q & high;
    b = (b - ones) & ~b & high;
    d = (d - ones) & ~d & high;
    return ((x & high) | lt | q | b | d) == 0;
}

/* plain8(a) && plain8(b), with SSE2 (every x86-64) in one go: a signed
 * compare below 0x20 finds the control bytes and those >= 0x80 at once. */
static inline bool plain16(uint64_t a, uint64_t b)
{
#ifdef __SSE2__
    __m128i x = _mm_set_epi64x((long long)b, (long long)a);
    __m128i bad = _mm_or_si128(
        _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F))));
    return _mm_movemask_epi8(bad) == 0;
#else
    return plain8(a) && plain8(b);
#endif
}

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* Copies the n bytes at p to o while none needs escaping, 16 at a time, the
 * last 16 (or a short string) read overlapping what came before. Returns how
 * many leading bytes were copied: n when the whole string is plain, the
 * usual case for SIP fields, which then costs a few instructions per 16
 * bytes and no per-byte tail loop. */
static inline size_t copy_plain(char *o, const uint8_t *p, size_t n)
{
    if (n >= 16) {
        size_t i = 0;
        for (; i + 16 < n; i += 16) {
            if (!plain16(load8(p + i), load8(p + i + 8)))
                return i;
            memcpy(o + i, p + i, 16);
        }
        if (!plain16(load8(p + n - 16), load8(p + n - 8)))
            return i;
        memcpy(o + n - 16, p + n - 16, 16);
        return n;
    }
    if (n >= 8) {
        uint64_t a = load8(p), b = load8(p + n - 8);
        if (!plain16(a, b))
            return 0;
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
        return n;
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        uint64_t x = a | (uint64_t)b << 32;
        if (!plain16(x, x))
            return 0;
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &b, 4);
        return n;
    }
    if (n == 0)
        return 0;
    /* 1 to 3 bytes: the first, middle and last, the rest padded with spaces */
    uint64_t x = 0x2020202020000000ULL | p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    if (!plain16(x, x))
        return 0;
    o[0] = (char)p[0];
    o[n / 2] = (char)p[n / 2];
    o[n - 1] = (char)p[n - 1];
    return n;
}

/* The bytes from p[i] on, escaped at o (the string's first i bytes are
 * already there); returns the end. */
static char *escape_from(char *o, const uint8_t *p, size_t n, size_t i)
{
    static const char hex[] = "0123456789abcdef";
    while (i < n) {
        uint64_t x;
        while (i + 8 <= n && (memcpy(&x, p + i, 8), plain8(x))) {
            memcpy(o, &x, 8);
            o += 8;
            i += 8;
        }
        if (i == n)
            break;
        uint8_t c = p[i];
        if (plain(c)) {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(p + i, n - i);
            if (k) {
                // NOLINTNEXTLINE(bugprone-not-null-terminated-result): JSON text, not a C string
                memcpy(o, p + i, k);
                o += k;
                i += k;
            } else {
                // NOLINTNEXTLINE(bugprone-not-null-terminated-result): JSON text, not a C string
                memcpy(o, "\\ufffd", 6);
                o += 6;
                i++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default: /* other control bytes, NUL and DEL */
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        i++;
    }
    return o;
}

/* Escapes the n bytes at p as a JSON string at o, which has room for
 * 6 * n + 2 bytes (every byte may become \ufffd); returns the end. Inline:
 * a plain string, the usual case, costs no call beyond copy_plain's words. */
static inline char *escape_at(char *o, const uint8_t *p, size_t n)
{
    *o++ = '"';
    size_t i = copy_plain(o, p, n);
    o = i == n ? o + n : escape_from(o + i, p, n, i);
    *o++ = '"';
    return o;
}

static void escape(sl_jw *w, const uint8_t *p, size_t n)
{
    if (!reserve(w, n * 6 + 2))
        return;
    w->len = (size_t)(escape_at(w->buf + w->len, p, n) - w->buf);
}

void sl_jw_bytes(sl_jw *w, const void *p, size_t n)
{
    sep(w);
    escape(w, p, n);
    done(w);
}

bool sl_jw_plain(sl_jw *w, const void *p, size_t n)
{
    if (!reserve(w, n + 3))
        return false;
    char *o = w->buf + w->len;
    if (w->need_comma[w->depth])
        *o++ = ',';
    *o++ = '"';
    if (copy_plain(o, p, n) != n)
        return false;
    o[n] = '"';
    w->len = (size_t)(o + n + 1 - w->buf);
    done(w);
    return true;
}

void sl_jw_str(sl_jw *w, const char *s)
{
    sl_jw_bytes(w, s, strlen(s));
}
void sl_jw_slice(sl_jw *w, sl_slice s)
{
    sl_jw_bytes(w, s.len ? s.ptr : (const uint8_t *)"", s.len);
}

void sl_jw_raw(sl_jw *w, const char *json, size_t n)
{
    sep(w);
    put(w, json, n);
    done(w);
}

void sl_jw_end_document(sl_jw *w, const char *text, size_t n)
{
    put(w, text, n);
    w->depth = 0;
    w->need_comma[0] = false;
}

/* Decimal digits of v ending at e; returns where they start (no snprintf on
 * the per-event path). */
static char *utoa_back(char *e, uint64_t v)
{
    do {
        *--e = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return e;
}

void sl_jw_int(sl_jw *w, int64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    char *p = utoa_back(e, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    sl_jw_raw(w, p, (size_t)(e - p));
}

void sl_jw_uint(sl_jw *w, uint64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    char *p = utoa_back(e, v);
    sl_jw_raw(w, p, (size_t)(e - p));
}

/* "%.1f" of v without snprintf, for
 * the durations of every dialog event. Values near a rounding tie, where
 * v * 10 may round differently from printf's exact decimal expansion, and
 * large ones still go through snprintf, so the text is always printf's. */
static bool fixed1(double v, char *tmp, size_t *len)
{
    double a = fabs(v) * 10.0;
    if (!(a < 1e15))
        return false;
    double r = floor(a);
    double frac = a - r;
    if (fabs(frac - 0.5) < 1e-6)
        return false;
    uint64_t t = (uint64_t)r + (frac > 0.5);
    char *e = tmp + 32, *p = e;
    *--p = (char)('0' + t % 10);
    *--p = '.';
    p = utoa_back(p, t / 10);
    if (signbit(v))
        *--p = '-'; /* printf keeps the sign of -0.0 and of what rounds to it */
    *len = (size_t)(e - p);
    memmove(tmp, p, *len);
    return true;
}

void sl_jw_double(sl_jw *w, double v, int decimals)
{
    if (!isfinite(v)) {
        sl_jw_null(w);
        return;
    }
    char tmp[64];
    size_t len;
    if (decimals == 1 && fixed1(v, tmp, &len)) {
        sl_jw_raw(w, tmp, len);
        return;
    }
    int n = snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        sl_jw_null(w);
        return;
    }
    sl_jw_raw(w, tmp, (size_t)n);
}

void sl_jw_bool(sl_jw *w, bool v)
{
    v ? sl_jw_raw(w, "true", 4) : sl_jw_raw(w, "false", 5);
}
void sl_jw_null(sl_jw *w)
{
    sl_jw_raw(w, "null", 4);
}

void sl_jw_time(sl_jw *w, sl_time t)
{
    char tmp[SL_TIME_TEXT_LEN];
    size_t n = sl_time_format(t, tmp);
    sep(w);
    if (!reserve(w, n + 2))
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    memcpy(o, tmp, n);
    o[n] = '"';
    w->len += n + 2;
    done(w);
}

void sl_jw_kbytes_n(sl_jw *w, const char *key, size_t key_len, const void *p, size_t n)
{
    char *o = member(w, key, key_len, n * 6 + 2);
    if (!o)
        return;
    w->len = (size_t)(escape_at(o, p, n) - w->buf);
}

char *sl_jw_chunk_begin(sl_jw *w, size_t room)
{
    if (!reserve(w, room + 1))
        return NULL;
    char *o = w->buf + w->len;
    if (w->need_comma[w->depth])
        *o++ = ',';
    return o;
}

void sl_jw_chunk_end(sl_jw *w, const char *end)
{
    w->len = (size_t)(end - w->buf);
    w->need_comma[w->depth] = true;
}

char *sl_jwc_uint(char *o, uint64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    char *p = utoa_back(e, v);
    copy_short(o, p, (size_t)(e - p));
    return o + (e - p);
}

char *sl_jwc_bytes(char *o, const void *p, size_t n)
{
    return escape_at(o, p, n);
}

void sl_jw_kslice_or_null_n(sl_jw *w, const char *key, size_t key_len, sl_slice s)
{
    if (s.len)
        sl_jw_kbytes_n(w, key, key_len, s.ptr, s.len);
    else
        sl_jw_kraw_n(w, key, key_len, "null", 4);
}

void sl_jw_kint_n(sl_jw *w, const char *key, size_t key_len, int64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    char *p = utoa_back(e, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    sl_jw_kraw_n(w, key, key_len, p, (size_t)(e - p));
}

void sl_jw_kuint_n(sl_jw *w, const char *key, size_t key_len, uint64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    char *p = utoa_back(e, v);
    sl_jw_kraw_n(w, key, key_len, p, (size_t)(e - p));
}
