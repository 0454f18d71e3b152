/* PASSporT (RFC 8225/8588) decoding and telephone-number canonicalization
 * (RFC 8224 §8.3). The decoder copies what it keeps into fixed fields. */
#ifndef SIPSLEUTH_PASSPORT_H
#define SIPSLEUTH_PASSPORT_H

#include "sipsleuth/slice.h"

#define SL_TN_MAX 64
#define SL_PASSPORT_MAX_DEST 8

typedef struct sl_passport {
    char alg[16], ppt[32], typ[32];
    char x5u[512];
    char attest[8];
    char origid[64];
    char orig_tn[SL_TN_MAX];
    char dest_tn[SL_PASSPORT_MAX_DEST][SL_TN_MAX];
    size_t n_dest;
    int64_t iat;
    char error[128]; /* why the token is malformed, when decoding failed */
} sl_passport;

/* Decodes the base64url JWS header and payload. False (with pp->error set)
 * on bad base64url, bad JSON, or a claim of the wrong type (iat not an
 * integer, orig.tn not a string, dest.tn not an array of strings...). */
bool sl_passport_decode(sl_slice header_b64, sl_slice payload_b64, sl_passport *pp);

/* RFC 8224 §8.3: drops a leading '+' and visual separators (- . ( ) and
 * space), keeps digits, '#' and '*', stops at a ';' (user parameters).
 * False when anything else remains (not a telephone number) or it does not
 * fit cap-1 bytes. out is NUL-terminated. */
bool sl_tn_canon(sl_slice in, char *out, size_t cap);

/* base64url without padding of n bytes into out (cap >= 4*n/3+4); returns
 * the length written, NUL-terminated. */
size_t sl_base64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);

#endif
