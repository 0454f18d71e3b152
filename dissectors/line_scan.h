/* Where the LFs and colons are in the next 64 bytes of a header block, as
 * two bit masks: one SSE2 pass per window instead of a memchr to each line's
 * end and a byte loop to each name's colon. */
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
    size_t base;    /* bit i of each mask is the byte at base + i */
    uint64_t lf;    /* '\n' */
    uint64_t colon; /* ':' */
} sl_line_masks;

/* The masks of the 64 bytes at p. */
static inline void sl_line_masks64(const uint8_t *p, uint64_t *lf_out, uint64_t *colon_out)
{
    uint64_t lf = 0, colon = 0;
#ifdef __SSE2__
    /* unrolled by hand: -O2 keeps a loop of four */
    const __m128i vlf = _mm_set1_epi8('\n'), vcolon = _mm_set1_epi8(':');
    __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)p),
            x1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16)),
            x2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32)),
            x3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
#define SL_MASK16(x, v) ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8((x), (v))))
    lf = SL_MASK16(x0, vlf) | SL_MASK16(x1, vlf) << 16 | SL_MASK16(x2, vlf) << 32 |
         SL_MASK16(x3, vlf) << 48;
    colon = SL_MASK16(x0, vcolon) | SL_MASK16(x1, vcolon) << 16 | SL_MASK16(x2, vcolon) << 32 |
            SL_MASK16(x3, vcolon) << 48;
#undef SL_MASK16
#else
    for (unsigned i = 0; i < 64; i++) {
        lf |= (uint64_t)(p[i] == '\n') << i;
        colon |= (uint64_t)(p[i] == ':') << i;
    }
#endif
    *lf_out = lf;
    *colon_out = colon;
}

/* The last window, shorter than 64 bytes: the buffer's last 64 bytes
 * shifted, or in a buffer shorter than that a zero-padded copy. */
static void sl_line_masks_tail(sl_line_masks *m, const uint8_t *buf, size_t len, size_t base)
{
    size_t n = len - base;
    if (len >= 64) {
        sl_line_masks64(buf + len - 64, &m->lf, &m->colon);
        m->lf >>= 64 - n;
        m->colon >>= 64 - n;
    } else {
        uint8_t tail[64] = {0};
        memcpy(tail, buf + base, n);
        sl_line_masks64(tail, &m->lf, &m->colon);
    }
}

/* Fills m for buf[base .. min(base + 64, len)); base < len. Bytes past len
 * are never read. */
static inline __attribute__((always_inline)) void
sl_line_masks_at(sl_line_masks *m, const uint8_t *buf, size_t len, size_t base)
{
    m->base = base;
    if (len - base >= 64)
        sl_line_masks64(buf + base, &m->lf, &m->colon);
    else
        sl_line_masks_tail(m, buf, len, base);
}

/* The line at pos (pos < len, pos >= m->base): *end is where its text ends
 * (before a CR), *next where the next line begins, *colon its first ':' (or
 * *end). False when no LF ends it (then *next is len). Windows follow each
 * other, so that each byte is classified once; m's window holds pos or
 * lies before it. */
static inline __attribute__((always_inline)) bool sl_line_next(sl_line_masks *m, const uint8_t *buf,
                                                               size_t len, size_t pos, size_t *end,
                                                               size_t *next, size_t *colon)
{
    size_t off = pos - m->base;
    if (off >= 64) {
        sl_line_masks_at(m, buf, len, pos);
        off = 0;
    }
    uint64_t lfb = m->lf >> off, cb = m->colon >> off;
    size_t e = len, c = cb ? pos + (size_t)__builtin_ctzll(cb) : len;
    if (lfb) {
        e = pos + (size_t)__builtin_ctzll(lfb);
    } else if (m->base + 64 < len) {
        size_t from = m->base + 64; /* the line goes on in the next window */
        sl_line_masks_at(m, buf, len, from);
        if (!cb && m->colon)
            c = from + (size_t)__builtin_ctzll(m->colon);
        if (m->lf) {
            e = from + (size_t)__builtin_ctzll(m->lf);
        } else if (from + 64 < len) { /* a line longer than a window */
            const uint8_t *lf = memchr(buf + from + 64, '\n', len - from - 64);
            e = lf ? (size_t)(lf - buf) : len;
            if (c == len) {
                const uint8_t *p = memchr(buf + from + 64, ':', e - from - 64);
                c = p ? (size_t)(p - buf) : len;
            }
        }
    }
    *next = e < len ? e + 1 : len;
    *end = e > pos && buf[e - 1] == '\r' ? e - 1 : e;
    *colon = c < *end ? c : *end;
    return e < len;
}

#endif
