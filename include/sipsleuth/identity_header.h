/* The Identity header (RFC 8224, and RFC 4474's older form) and RFC 4474's
 * Identity-Info: a value in, slices into it out. Nothing is allocated.
 * Known malformed variants seen in the wild are accepted and flagged. */
#ifndef SIPSLEUTH_IDENTITY_HEADER_H
#define SIPSLEUTH_IDENTITY_HEADER_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/slice.h"
#include "sipsleuth/status.h"

typedef enum sl_identity_form {
    SL_IDENTITY_FULL,    /* header.payload.signature (RFC 8224) */
    SL_IDENTITY_COMPACT, /* ..signature: header and payload rebuilt by the verifier */
    SL_IDENTITY_RFC4474, /* "base64 signature" with a separate Identity-Info */
} sl_identity_form;

/* Tolerated deviations; each is reported as an anomaly by the analyzer. */
enum {
    SL_IDH_F_MISSING_SEMI = 1u << 0,     /* a parameter not preceded by ';' (">alg=ES256") */
    SL_IDH_F_INFO_NO_BRACKETS = 1u << 1, /* info=URL without <> */
    SL_IDH_F_QUOTED_PARAM = 1u << 2,     /* alg="ES256" / ppt="shaken" */
    SL_IDH_F_QUOTED_TOKEN = 1u << 3,     /* an RFC 8224 token inside quotes */
    SL_IDH_F_NO_INFO = 1u << 4,          /* no info parameter at all */
};

typedef struct sl_identity_hdr {
    sl_identity_form form;
    sl_slice token;      /* the signed token (without quotes) */
    sl_slice jws_header; /* base64url parts of a full/compact token; empty for RFC 4474 */
    sl_slice jws_payload;
    sl_slice signature;     /* base64url (RFC 8224) or base64 (RFC 4474) */
    sl_slice signing_input; /* "header.payload" as signed (full form) */
    sl_slice info;          /* the URL without <>; empty when absent */
    sl_slice alg, ppt;      /* parameter values without quotes; empty when absent */
    uint32_t flags;         /* SL_IDH_F_* */
} sl_identity_hdr;

/* Parses one Identity header value. SL_INVALID when no token can be found
 * (not three dot-separated parts, an unterminated <...> or quote). */
sl_status sl_identity_header_parse(sl_slice value, sl_identity_hdr *out);

/* Parses an RFC 4474 Identity-Info value "<URL>;alg=rsa-sha1" into out->info,
 * out->alg and out->flags (other fields untouched). */
sl_status sl_identity_info_parse(sl_slice value, sl_identity_hdr *out);

/* The anomaly kind of one SL_IDH_F_* bit, e.g. SL_ANOM_IDENTITY_MISSING_SEMICOLON. */
sl_anomaly_kind sl_identity_flag_kind(uint32_t flag);

#endif
