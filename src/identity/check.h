/* Re-verification of one Identity header (check.c), internal to the
 * identity analyzer. */
#ifndef SIPSLEUTH_IDENTITY_CHECK_H
#define SIPSLEUTH_IDENTITY_CHECK_H

#include "sipsleuth/identity.h"

/* What a check needs: the certificates, the signature cache, the clock slack. */
typedef struct sl_id_checker {
    sl_certstore *certs;
    sl_verifier *verifier;
    int64_t iat_tolerance;
} sl_id_checker;

/* Fills res for an Identity header of the request in ctx, as the caller
 * parsed it (parsed false: sl_identity_header_parse refused it). */
void sl_id_check(const sl_id_checker *ck, const sl_sip_ctx *ctx, const sl_identity_hdr *h,
                 bool parsed, sl_identity_result *res);

/* Copies s into dst (cap > 0), truncated and NUL-terminated. */
void sl_id_copy_slice(char *dst, size_t cap, sl_slice s);

#endif
