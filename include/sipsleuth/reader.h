/* A bounds-checked reader over packet bytes. Every read of a wire field goes
 * through it, so a short packet fails a read instead of over-reading; wire
 * structs are never cast onto packet memory. */
#ifndef SIPSLEUTH_READER_H
#define SIPSLEUTH_READER_H

#include "sipsleuth/slice.h"

typedef struct sl_reader {
    const uint8_t *buf;
    size_t len;
    size_t off;
} sl_reader;

static inline sl_reader sl_reader_make(const uint8_t *buf, size_t len)
{
    sl_reader r = {buf, len, 0};
    return r;
}

static inline size_t sl_rd_left(const sl_reader *r)
{
    return r->len - r->off;
}

static inline bool sl_rd_u8(sl_reader *r, uint8_t *v)
{
    if (sl_rd_left(r) < 1)
        return false;
    *v = r->buf[r->off++];
    return true;
}

static inline bool sl_rd_be16(sl_reader *r, uint16_t *v)
{
    if (sl_rd_left(r) < 2)
        return false;
    *v = (uint16_t)((r->buf[r->off] << 8) | r->buf[r->off + 1]);
    r->off += 2;
    return true;
}

static inline bool sl_rd_be32(sl_reader *r, uint32_t *v)
{
    if (sl_rd_left(r) < 4)
        return false;
    const uint8_t *p = r->buf + r->off;
    *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    r->off += 4;
    return true;
}

static inline bool sl_rd_skip(sl_reader *r, size_t n)
{
    if (sl_rd_left(r) < n)
        return false;
    r->off += n;
    return true;
}

/* A slice of the next n bytes, consumed. */
static inline bool sl_rd_slice(sl_reader *r, size_t n, sl_slice *out)
{
    if (sl_rd_left(r) < n)
        return false;
    *out = sl_slice_make(r->buf + r->off, n);
    r->off += n;
    return true;
}

/* Everything not read yet. */
static inline sl_slice sl_rd_rest(const sl_reader *r)
{
    return sl_slice_make(r->buf + r->off, sl_rd_left(r));
}

#endif
