#include "sipsleuth/slice.h"

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* The 8 bytes of x with 'A'..'Z' turned to lower case, all at once: a byte's
 * high bit in ge_a says >= 'A', in gt_z says > 'Z' (computed on the low 7
 * bits, so no carry crosses bytes; bytes from 0x80 up are left alone). */
static inline uint64_t lower8(uint64_t x)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu, high = 0x8080808080808080u;
    uint64_t h = x & low7;
    uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3fu; /* 0x80 - 'A' */
    uint64_t gt_z = h + 0x2525252525252525u; /* 0x7f - 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~x & high;
    return x | upper >> 2;
}

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

bool sl_bytes_ieq(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n >= 8) {
        /* words, the last one overlapping the one before */
        for (size_t i = 0;; i += 8) {
            size_t at = i + 8 <= n ? i : n - 8;
            uint64_t x = load8(a + at), y = load8(b + at);
            if (x != y && lower8(x) != lower8(y))
                return false;
            if (at + 8 == n)
                return true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i] && lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool sl_slice_to_u64(sl_slice s, uint64_t max, uint64_t *out)
{
    if (s.len == 0)
        return false;
    uint64_t v = 0;
    if (s.len <= 19) { /* below 10^19: no overflow, one comparison at the end */
        for (size_t i = 0; i < s.len; i++) {
            uint8_t c = s.ptr[i];
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + (uint64_t)(c - '0');
        }
        if (v > max)
            return false;
        *out = v;
        return true;
    }
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c < '0' || c > '9')
            return false;
        uint64_t d = (uint64_t)(c - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}
