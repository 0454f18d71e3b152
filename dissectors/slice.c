#include "sipsleuth/slice.h"

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool sl_slice_eq(sl_slice s, const char *str)
{
    size_t n = strlen(str);
    return s.len == n && (n == 0 || memcmp(s.ptr, str, n) == 0);
}

bool sl_slice_ieq(sl_slice s, const char *str)
{
    return sl_slice_ieq_slice(s, sl_slice_make(str, strlen(str)));
}

bool sl_slice_ieq_slice(sl_slice a, sl_slice b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower(a.ptr[i]) != lower(b.ptr[i]))
            return false;
    return true;
}

bool sl_slice_istarts(sl_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && sl_slice_ieq(sl_slice_make(s.ptr, n), prefix);
}

sl_slice sl_slice_from(sl_slice s, size_t from)
{
    if (from >= s.len)
        return sl_slice_make(s.ptr + s.len, 0);
    return sl_slice_make(s.ptr + from, s.len - from);
}

long sl_slice_find(sl_slice s, uint8_t c)
{
    if (s.len == 0)
        return -1;
    const uint8_t *p = memchr(s.ptr, c, s.len);
    return p ? (long)(p - s.ptr) : -1;
}

bool sl_slice_to_u64(sl_slice s, uint64_t max, uint64_t *out)
{
    if (s.len == 0)
        return false;
    uint64_t v = 0;
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
