/* Telephone-number canonicalization, RFC 8224 §8.3. */
#include "sipsleuth/passport.h"

bool sl_tn_canon(sl_slice in, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == ';')
            break;
        if (c == '+' && n == 0)
            continue;
        if (c == '-' || c == '.' || c == '(' || c == ')' || c == ' ')
            continue;
        if (!((c >= '0' && c <= '9') || c == '#' || c == '*'))
            return false;
        if (n + 1 >= cap)
            return false;
        out[n++] = (char)c;
    }
    if (cap)
        out[n] = '\0';
    return n > 0;
}
