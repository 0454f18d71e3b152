/* Where the LFs are in the next 64 bytes of a header block, as a bit mask:
 * one SSE2 pass per window instead of a memchr to each line's end; and a
 * header name's colon from one 16-byte compare at the line's start. */
#ifndef SIPSLEUTH_LINE_SCAN_H
#define SIPSLEUTH_LINE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct sl_line_masks {
    size_t base; /* bit i of lf is the byte at base + i */
    uint64_t lf; /* '\n' */
} sl_line_masks;

/* The LF mask of the 64 bytes at p. */
static inline uint64_t sl_lf_mask64(const uint8_t *p)
{
#ifdef __SSE2__
    /* unrolled by hand: -O2 keeps a loop of four */
    const __m128i vlf = _mm_set1_epi8('\n');
#define SL_MASK16(at)                                                                              \
    ((uint64_t)(unsigned)_mm_movemask_epi8(                                                        \
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + (at))), vlf)))
    return SL_MASK16(0) | SL_MASK16(16) << 16 | SL_MASK16(32) << 32 | SL_MASK16(48) << 48;
#undef SL_MASK16
#else
    uint64_t lf = 0;
    for (unsigned i = 0; i < 64; i++)
        lf |= (uint64_t)(p[i] == '\n') << i;
    return lf;
#endif
}

/* The mask of the last window, shorter than 64 bytes: the buffer's last 64
 * bytes shifted, or in a buffer shorter than that a zero-padded copy. */
static uint64_t sl_lf_mask_tail(const uint8_t *buf, size_t len, size_t base)
{
    size_t n = len - base;
    if (len >= 64)
        return sl_lf_mask64(buf + len - 64) >> (64 - n);
    uint8_t tail[64] = {0};
    memcpy(tail, buf + base, n);
    return sl_lf_mask64(tail);
}

/* Fills m for buf[base .. min(base + 64, len)); base < len. Bytes past len
 * are never read. */
static inline __attribute__((always_inline)) void
sl_line_masks_at(sl_line_masks *m, const uint8_t *buf, size_t len, size_t base)
{
    m->base = base;
    m->lf = len - base >= 64 ? sl_lf_mask64(buf + base) : sl_lf_mask_tail(buf, len, base);
}

/* The line at pos (pos < len, pos >= m->base): *end is where its text ends
 * (before a CR), *next where the next line begins. False when no LF ends it
 * (then *next is len). Windows follow each other, so that each byte is
 * classified once; m's window holds pos or lies before it. */
static inline __attribute__((always_inline)) bool sl_line_next(sl_line_masks *m, const uint8_t *buf,
                                                               size_t len, size_t pos, size_t *end,
                                                               size_t *next)
{
    size_t off = pos - m->base;
    if (off >= 64) {
        sl_line_masks_at(m, buf, len, pos);
        off = 0;
    }
    uint64_t bits = m->lf >> off;
    size_t e = len;
    if (bits) {
        e = pos + (size_t)__builtin_ctzll(bits);
    } else if (m->base + 64 < len) {
        size_t from = m->base + 64; /* the line goes on in the next window */
        sl_line_masks_at(m, buf, len, from);
        if (m->lf) {
            e = from + (size_t)__builtin_ctzll(m->lf);
        } else if (from + 64 < len) { /* a line longer than a window */
            const uint8_t *lf = memchr(buf + from + 64, '\n', len - from - 64);
            e = lf ? (size_t)(lf - buf) : len;
        }
    }
    *next = e < len ? e + 1 : len;
    *end = e > pos && buf[e - 1] == '\r' ? e - 1 : e;
    return e < len;
}

/* The first ':' of the line buf[pos..end), or end (end <= len). A header
 * name is short: one 16-byte compare at pos finds nearly every colon. */
static inline size_t sl_line_colon(const uint8_t *buf, size_t len, size_t pos, size_t end)
{
    size_t from = pos;
#ifdef __SSE2__
    if (len - pos >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(buf + pos));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(':')));
        if (m) {
            size_t c = pos + (size_t)__builtin_ctz(m);
            return c < end ? c : end;
        }
        from = pos + 16;
    }
#endif
    const uint8_t *c = from < end ? memchr(buf + from, ':', end - from) : NULL;
    return c ? (size_t)(c - buf) : end;
}

#endif
