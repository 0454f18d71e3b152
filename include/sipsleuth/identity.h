/* The identity analyzer: offline re-verification of every Identity header
 * (RFC 8224 full and compact forms, RFC 4474), one `identity` event per
 * signed request per leg, and one `rejection` event per 428/436/437/438
 * final response, explained (src/identity/explain.c). */
#ifndef SIPSLEUTH_IDENTITY_H
#define SIPSLEUTH_IDENTITY_H

#include "sipsleuth/certstore.h"
#include "sipsleuth/dialog.h"
#include "sipsleuth/event.h"
#include "sipsleuth/explain.h"
#include "sipsleuth/identity_header.h"
#include "sipsleuth/identity_result.h"
#include "sipsleuth/passport.h"
#include "sipsleuth/sip_context.h"
#include "sipsleuth/verify.h"

/* ---- the analyzer (identity.c) ---- */
typedef struct sl_identity_config {
    int64_t iat_tolerance; /* seconds; default 60 */
    size_t max_records;    /* signed requests remembered for their responses; default 4096 */
    int64_t record_ttl;    /* seconds of capture time; default 300 */
    size_t max_certs;      /* URLs the certificate store holds; default SL_CERTSTORE_MAX */
} sl_identity_config;

void sl_identity_config_default(sl_identity_config *cfg);

typedef struct sl_identity sl_identity;

/* Takes ownership of cs (may be an empty store). sink receives `identity`,
 * `rejection` and `anomaly` records. */
sl_identity *sl_identity_new(const sl_identity_config *cfg, sl_certstore *cs, const sl_sink *sink);
void sl_identity_free(sl_identity *id);
/* One SIP message, with the dialog tracker's verdict on it (which also
 * tells whether the request of a rejection was seen at all: the analyzer
 * keeps nothing for unsigned requests). */
void sl_identity_on_message(sl_identity *id, const sl_sip_ctx *ctx, const sl_txn_verdict *v);
/* Bytes held: remembered requests, the verification cache, certificates
 * (their count times a typical size). */
size_t sl_identity_memory(const sl_identity *id);

/* Totals for stats.identity and the --summary report. */
typedef struct sl_identity_counts {
    uint64_t signed_requests, valid, invalid, unverifiable, rejections;
    uint64_t signatures_checked, cache_hits; /* signature checks made, and spared by the cache */
    uint64_t reasons[SL_IDR__COUNT];         /* identity verdicts naming each reason */
    uint64_t causes[SL_ID_CAUSE__COUNT];     /* rejections by cause */
} sl_identity_counts;

void sl_identity_get_counts(const sl_identity *id, sl_identity_counts *out);

#endif
