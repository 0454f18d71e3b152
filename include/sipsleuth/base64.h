/* Base64 decoding into caller buffers: no allocation, no I/O. */
#ifndef SIPSLEUTH_BASE64_H
#define SIPSLEUTH_BASE64_H

#include "sipsleuth/slice.h"
#include "sipsleuth/status.h"

/* Bytes needed to decode n characters (an upper bound). */
#define SL_BASE64_DECODED_MAX(n) (((n) / 4 + 1) * 3)

/* base64url (RFC 4648 §5) as JWS uses it: no padding expected, trailing '='
 * tolerated. SL_INVALID on any other character or an impossible length;
 * SL_NOMEM when cap is too small. */
sl_status sl_base64url_decode(sl_slice in, uint8_t *out, size_t cap, size_t *out_len);

/* Standard base64 (RFC 4648 §4) as RFC 4474 Identity uses it: padding
 * optional, whitespace (folded header lines) skipped. */
sl_status sl_base64_decode(sl_slice in, uint8_t *out, size_t cap, size_t *out_len);

#endif
