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

/* Exact byte comparison with a NUL-terminated string. */
bool sl_slice_eq(sl_slice s, const char *str);
/* ASCII case-insensitive comparison with a NUL-terminated string. */
bool sl_slice_ieq(sl_slice s, const char *str);
/* ASCII case-insensitive comparison of two slices. */
bool sl_slice_ieq_slice(sl_slice a, sl_slice b);
/* True when s starts with prefix (case-insensitive). */
bool sl_slice_istarts(sl_slice s, const char *prefix);
/* SP, HTAB, CR or LF. */
static inline bool sl_is_lws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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
sl_slice sl_slice_from(sl_slice s, size_t from);
/* Index of the first byte c in s, or -1. */
long sl_slice_find(sl_slice s, uint8_t c);
/* Parses an unsigned decimal number that fills the whole slice; false on
 * empty input, a non-digit, or a value above max. */
bool sl_slice_to_u64(sl_slice s, uint64_t max, uint64_t *out);

#endif
