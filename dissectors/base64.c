#include "sipsleuth/base64.h"

/* 0..63 for an alphabet character, -1 otherwise. */
static int value_of(uint8_t c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

static sl_status decode(sl_slice in, uint8_t *out, size_t cap, size_t *out_len, bool url)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0, chars = 0;
    bool padding = false;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (!url && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        int v = value_of(c, url);
        if (v < 0 || padding) /* nothing may follow padding */
            return SL_INVALID;
        chars++;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap)
                return SL_NOMEM;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* One character alone cannot hold a byte; leftover bits must be zero. */
    if (chars % 4 == 1 || (acc & ((1u << bits) - 1)) != 0)
        return SL_INVALID;
    *out_len = n;
    return SL_OK;
}

sl_status sl_base64url_decode(sl_slice in, uint8_t *out, size_t cap, size_t *out_len)
{
    return decode(in, out, cap, out_len, true);
}

sl_status sl_base64_decode(sl_slice in, uint8_t *out, size_t cap, size_t *out_len)
{
    return decode(in, out, cap, out_len, false);
}
