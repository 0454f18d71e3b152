/* Slices: {pointer, length} views into a buffer someone else owns.
 * A slice taken from a packet is valid only while that packet is processed. */
#ifndef SIPSLEUTH_SLICE_H
#define SIPSLEUTH_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sl_slice {
    const uint8_t *ptr;
    size_t len;
} sl_slice;

static inline sl_slice sl_slice_make(const void *p, size_t n)
{
    sl_slice s = {(const uint8_t *)p, n};
    return s;
}

#define SL_SLICE_LIT(lit) sl_slice_make((lit), sizeof(lit) - 1)

/* s, which points into bytes at `from`, at the same offset in their copy at
 * `to`; a slice that points nowhere (NULL: absent) stays so. */
static inline sl_slice sl_slice_moved(sl_slice s, const uint8_t *from, const uint8_t *to)
{
    return s.ptr ? sl_slice_make(to + (s.ptr - from), s.len) : s;
}

/* ASCII case-insensitive comparison of a[0..n) and b[0..n). */
bool sl_bytes_ieq(const uint8_t *a, const uint8_t *b, size_t n);

/* The comparisons below are inline so that the length of a literal is a
 * constant and a length mismatch (most calls) costs no call. */

/* Exact byte comparison with a NUL-terminated string. */
static inline bool sl_slice_eq(sl_slice s, const char *str)
{
    size_t n = strlen(str);
    return s.len == n && (n == 0 || memcmp(s.ptr, str, n) == 0);
}
/* ASCII case-insensitive comparison with a NUL-terminated string. */
static inline bool sl_slice_ieq(sl_slice s, const char *str)
{
    size_t n = strlen(str);
    return s.len == n && sl_bytes_ieq(s.ptr, (const uint8_t *)str, n);
}
/* ASCII case-insensitive comparison of two slices. */
static inline bool sl_slice_ieq_slice(sl_slice a, sl_slice b)
{
    return a.len == b.len && sl_bytes_ieq(a.ptr, b.ptr, a.len);
}
/* True when s starts with prefix (case-insensitive). */
static inline bool sl_slice_istarts(sl_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && sl_bytes_ieq(s.ptr, (const uint8_t *)prefix, n);
}
/* SP, HTAB, CR or LF. */
static inline bool sl_is_lws(uint8_t c)
{
    /* one bit test: bits 9, 10, 13 and 32 */
    return c <= ' ' && ((uint64_t)0x100002600 >> c & 1);
}

/* Drops leading and trailing SP, HTAB, CR and LF. Inline: called several
 * times a message, on values that rarely have more than one space to drop. */
static inline sl_slice sl_slice_trim(sl_slice s)
{
    while (s.len && sl_is_lws(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && sl_is_lws(s.ptr[s.len - 1]))
        s.len--;
    return s;
}
/* The part of s from offset `from` on (empty when from >= len). */
static inline sl_slice sl_slice_from(sl_slice s, size_t from)
{
    if (from >= s.len)
        return sl_slice_make(s.ptr + s.len, 0);
    return sl_slice_make(s.ptr + from, s.len - from);
}
/* Index of the first byte c in s, or -1. */
static inline long sl_slice_find(sl_slice s, uint8_t c)
{
    if (s.len == 0)
        return -1;
    const uint8_t *p = (const uint8_t *)memchr(s.ptr, c, s.len);
    return p ? (long)(p - s.ptr) : -1;
}
/* Parses an unsigned decimal number that fills the whole slice; false on
 * empty input, a non-digit, or a value above max. */
bool sl_slice_to_u64(sl_slice s, uint64_t max, uint64_t *out);

#endif
