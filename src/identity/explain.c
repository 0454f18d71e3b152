/* Why a call was rejected: a 428/436/437/438 turned into a cause and one
 * plain sentence, from the re-verified request (the rejection event lists
 * the evidence of that finding). */
#include "sipsleuth/explain.h"

#include "sipsleuth/certstore.h"
#include "sipsleuth/sltime.h"

#include <stdio.h>
#include <string.h>

/* The reasons each response code stands for (RFC 8224 §6.2.2), tried first. */
static uint32_t preferred(int status)
{
    switch (status) {
    case 436: return 1u << SL_IDR_CERT_UNAVAILABLE;
    case 437: return (1u << SL_IDR_CERT_UNTRUSTED) | (1u << SL_IDR_CERT_EXPIRED);
    default: return 0;
    }
}

static int cause_reason(int status, const sl_identity_result *res)
{
    uint32_t pref = res->reasons & preferred(status);
    uint32_t set = pref ? pref : res->reasons;
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (set & (1u << r))
            return r;
    return -1;
}

sl_id_cause sl_explain_cause(const sl_explain_in *in)
{
    switch (in->request) {
    case SL_EXPLAIN_NOT_CAPTURED:
    case SL_EXPLAIN_FORGOTTEN: return SL_ID_CAUSE_NOT_CAPTURED;
    case SL_EXPLAIN_UNSIGNED: return SL_ID_CAUSE_MISSING;
    case SL_EXPLAIN_SIGNED: break;
    }
    int r = cause_reason(in->status, in->res);
    return r < 0 ? SL_ID_CAUSE_NO_FAULT : r;
}

const char *sl_explain_url(const sl_identity_result *res)
{
    return res->pp.x5u[0] ? res->pp.x5u : res->info[0] ? res->info : "(no URL)";
}

/* A request that cannot be re-verified (not captured, forgotten, unsigned):
 * its sentence, and true; false for a signed request. */
static bool explain_unverified(const sl_explain_in *in, sl_id_cause cause, char *text, size_t size)
{
    if (cause == SL_ID_CAUSE_NOT_CAPTURED) {
        snprintf(text, size, "%s",
                 in->request == SL_EXPLAIN_FORGOTTEN
                     ? "The request this response answers was captured, but its identity verdict "
                       "was no longer held (raise --max-identity-checks), so the rejection cannot "
                       "be re-verified."
                     : "The request this response answers was not captured on this leg, so the "
                       "rejection cannot be re-verified.");
        return true;
    }
    if (in->request == SL_EXPLAIN_UNSIGNED) {
        snprintf(text, size,
                 "The request carried no Identity header, so the terminating side %s: the "
                 "originating provider did not sign the call, or a hop removed the header.",
                 in->status == 428 ? "asked for one (428)" : "rejected it");
        return true;
    }
    return false;
}

/* Findings on the token itself: none (-1), malformed, signature, header parameters. */
static void explain_token(const sl_explain_in *in, int r, char *text, size_t size)
{
    const sl_identity_result *res = in->res;
    const sl_passport *pp = &res->pp;
    const char *url = sl_explain_url(res);
    switch (r) {
    case -1:
        snprintf(text, size,
                 "The request verifies cleanly offline against the local certificate for %s, so "
                 "the %d points at the verifier itself: its trust store, its clock, or its "
                 "fetch of the certificate.",
                 url, in->status);
        break;
    case SL_IDR_MALFORMED:
        snprintf(text, size,
                 "The Identity header cannot be used as sent (%s): the signer or a hop produced "
                 "a malformed token.",
                 res->detail[0] ? res->detail : "malformed");
        break;
    case SL_IDR_SIGNATURE_INVALID:
        if (res->der_signature)
            snprintf(text, size,
                     "The ES256 signature is DER-encoded instead of the raw 64-byte r||s that "
                     "JWS requires: the signer's JWS library encodes signatures wrongly.");
        else if (res->form == SL_IDENTITY_RFC4474)
            snprintf(text, size,
                     "The RFC 4474 signature does not verify with the certificate at %s: a hop "
                     "changed a signed field (From, To, Call-ID, CSeq, Date, Contact or body) "
                     "after signing.",
                     url);
        else
            snprintf(text, size,
                     "The PASSporT signature does not verify with the certificate at %s: the "
                     "token was altered after signing or signed with another key.",
                     url);
        break;
    case SL_IDR_ALG_MISMATCH:
        snprintf(text, size,
                 "The Identity header's parameters disagree with what was signed (%s): a hop "
                 "rewrote the header parameters or the signer filled them inconsistently.",
                 res->detail);
        break;
    default: /* SL_IDR_PPT_MISMATCH */
        snprintf(text, size,
                 "The ppt parameter (%s) differs from the signed ppt (%s): a hop rewrote the "
                 "header parameters or the signer filled them inconsistently.",
                 res->ppt_param[0] ? res->ppt_param : "none", pp->ppt[0] ? pp->ppt : "none");
        break;
    }
}

/* Findings on what was signed against the request: caller, callee, iat. */
static void explain_claims(const sl_explain_in *in, int r, char *text, size_t size)
{
    const sl_identity_result *res = in->res;
    const sl_passport *pp = &res->pp;
    if (r == SL_IDR_ORIG_MISMATCH) {
        snprintf(text, size,
                 "The PASSporT was signed for caller %s but the INVITE's %s carries %s: a hop "
                 "rewrote the calling number after signing.",
                 pp->orig_tn, res->orig_source ? res->orig_source : "From", res->seen_orig_raw);
    } else if (r == SL_IDR_DEST_MISMATCH) {
        snprintf(text, size,
                 "The PASSporT was signed for callee %s but the INVITE's To carries %s: a hop "
                 "rewrote the called number after signing.",
                 pp->n_dest ? pp->dest_tn[0] : "(none)", res->seen_dest_raw);
    } else { /* SL_IDR_IAT_STALE */
        bool by_date = res->iat_off_date;
        int64_t ref = by_date ? res->date : res->capture_sec;
        long long diff = (long long)(pp->iat - ref);
        snprintf(text, size,
                 "The token was signed %lld s %s the request's %s, beyond the %lld s a verifier "
                 "allows: the signer's clock is off, or the token was reused or held back.",
                 diff < 0 ? -diff : diff, diff < 0 ? "before" : "after",
                 by_date ? "Date" : "capture time", (long long)in->iat_tolerance);
    }
}

/* Findings on the certificate: unavailable, expired, untrusted. */
static void explain_cert(const sl_explain_in *in, int r, char *text, size_t size)
{
    const sl_identity_result *res = in->res;
    const char *url = sl_explain_url(res);
    if (r == SL_IDR_CERT_UNAVAILABLE) {
        /* Only the signature (and the certificate's own checks) needed it,
         * so say which certificate to supply and how. */
        char file[600];
        size_t fn = sl_certstore_dir_name(sl_slice_make(url, strlen(url)), file, sizeof file);
        if (fn == 0 || fn + 1 >= sizeof file)
            snprintf(file, sizeof file, "%s", "(the URL with \"://\" and each \"/\" as \"_\")");
        snprintf(text, size,
                 "%s the certificate at %s was not supplied to sipsleuth, so the signature was not "
                 "checked here: pass --cert %s=FILE, or --cert-dir DIR with the certificate saved "
                 "as DIR/%s.",
                 in->status == 436
                     ? "The verifier could not obtain the signer's certificate (436), and"
                     : "Nothing that can be checked without a certificate is wrong, but",
                 url, url, file);
    } else if (r == SL_IDR_CERT_EXPIRED) {
        int64_t iat = res->pp.iat;
        char when[SL_TIME_TEXT_LEN];
        if (iat > INT64_MAX / SL_NS_PER_SEC || iat < INT64_MIN / SL_NS_PER_SEC)
            snprintf(when, sizeof when, "%lld", (long long)iat); /* no date that far */
        else
            sl_time_format((sl_time)iat * SL_NS_PER_SEC, when);
        snprintf(text, size,
                 "The certificate at %s was not valid when the call was signed (iat %s): the "
                 "signer used an expired or not-yet-valid certificate.",
                 url, when);
    } else { /* SL_IDR_CERT_UNTRUSTED */
        snprintf(text, size,
                 "The certificate at %s is not accepted (%s): it does not chain to a trusted "
                 "anchor, so the verifier cannot trust the signer.",
                 url, res->cert_detail[0] ? res->cert_detail : "untrusted");
    }
}

/* A relayed rejection: the finding is the downstream leg's, and the reader
 * of this leg needs to know where to look. */
static void mark_relayed(const char *found_on, sl_explanation *out)
{
    char found[sizeof out->text - SL_EXPLAIN_RELAYED_MAX];
    memcpy(found, out->text, sizeof found); /* text fits: it was written within that size */
    snprintf(out->text, sizeof out->text, "Found on the downstream leg to %s: %c%s", found_on,
             found[0] >= 'A' && found[0] <= 'Z' && found[1] != ' ' ? found[0] - 'A' + 'a'
                                                                   : found[0],
             found + 1);
}

void sl_explain(const sl_explain_in *in, sl_explanation *out)
{
    out->cause = sl_explain_cause(in);
    out->finding = -1;
    char *text = out->text;
    const size_t size = sizeof out->text - SL_EXPLAIN_RELAYED_MAX;
    if (explain_unverified(in, out->cause, text, size))
        return;
    int r = cause_reason(in->status, in->res);
    out->finding = r;
    switch (r) {
    case SL_IDR_ORIG_MISMATCH:
    case SL_IDR_DEST_MISMATCH:
    case SL_IDR_IAT_STALE: explain_claims(in, r, text, size); break;
    case SL_IDR_CERT_UNAVAILABLE:
    case SL_IDR_CERT_EXPIRED:
    case SL_IDR_CERT_UNTRUSTED: explain_cert(in, r, text, size); break;
    default: explain_token(in, r, text, size); break;
    }
    if (in->found_on)
        mark_relayed(in->found_on, out);
}
