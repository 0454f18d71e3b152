#include "writers.h"

#include "sipsleuth/sip.h"

#include <string.h>

static const char *form_name(sl_identity_form f)
{
    switch (f) {
    case SL_IDENTITY_FULL: return "full";
    case SL_IDENTITY_COMPACT: return "compact";
    case SL_IDENTITY_RFC4474: return "rfc4474";
    }
    return "full";
}

static void kstr_or_null(sl_jw *w, const char *key, const char *s)
{
    if (s && s[0])
        sl_jw_kstr(w, key, s);
    else
        sl_jw_knull(w, key);
}

static void reasons(sl_jw *w, uint32_t set)
{
    sl_jw_key(w, "reasons");
    sl_jw_arr_begin(w);
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (set & (1u << r))
            sl_jw_str(w, sl_id_reason_name((sl_id_reason)r));
    sl_jw_arr_end(w);
}

void sl_json_identity(sl_jw *w, const sl_identity_event *ev)
{
    const sl_identity_result *res = ev->res;
    sl_jw_kstr(w, "verdict", sl_id_verdict_name(ev->verdict));
    reasons(w, res->reasons);
    sl_jw_kstr(w, "form", form_name(res->form));
    const sl_passport *pp = &res->pp;
    kstr_or_null(w, "alg", pp->alg[0] ? pp->alg : res->alg_param);
    kstr_or_null(w, "ppt", pp->ppt[0] ? pp->ppt : res->ppt_param);
    kstr_or_null(w, "attest", pp->attest);
    kstr_or_null(w, "orig_tn", res->decoded ? pp->orig_tn : NULL);
    sl_jw_key(w, "dest_tn"); /* always an array: [] when there is no PASSporT */
    sl_jw_arr_begin(w);
    for (size_t i = 0; res->decoded && i < pp->n_dest; i++)
        sl_jw_str(w, pp->dest_tn[i]);
    sl_jw_arr_end(w);
    if (res->decoded || res->form == SL_IDENTITY_RFC4474)
        sl_jw_kint(w, "iat", pp->iat);
    else
        sl_jw_knull(w, "iat");
    kstr_or_null(w, "x5u", pp->x5u[0] ? pp->x5u : res->info);
    /* extensions (README) */
    sl_jw_kbool(w, "chain_checked", res->chain_checked);
    kstr_or_null(w, "detail", res->detail[0] ? res->detail : res->cert_detail);
    kstr_or_null(w, "seen_orig_tn", res->seen_orig);
    kstr_or_null(w, "seen_dest_tn", res->seen_dest);
    if (ev->count > 1) {
        sl_jw_kuint(w, "index", ev->index);
        sl_jw_kuint(w, "count", ev->count);
    }
}

static void evidence_tn(sl_jw *w, const sl_identity_result *res, bool orig)
{
    const sl_passport *pp = &res->pp;
    if (orig) {
        sl_jw_kstr(w, "signed_orig_tn", pp->orig_tn);
        sl_jw_kstr(w,
                   strcmp(res->orig_source ? res->orig_source : "From", "From") == 0
                       ? "seen_from_tn"
                       : "seen_pai_tn",
                   res->seen_orig_raw);
    } else {
        sl_jw_key(w, "signed_dest_tn");
        sl_jw_arr_begin(w);
        for (size_t i = 0; i < pp->n_dest; i++)
            sl_jw_str(w, pp->dest_tn[i]);
        sl_jw_arr_end(w);
        sl_jw_kstr(w, "seen_to_tn", res->seen_dest_raw);
    }
}

/* What was signed against what arrived, for the finding that explains it. */
static void evidence(sl_jw *w, const sl_rejection_event *ev)
{
    const sl_explanation *x = ev->explanation;
    sl_jw_key(w, "evidence");
    if (x->cause == SL_ID_CAUSE_NOT_CAPTURED) {
        sl_jw_null(w);
        return;
    }
    sl_jw_obj_begin(w);
    if (x->cause == SL_ID_CAUSE_MISSING) {
        sl_jw_kint(w, "identity_headers", 0);
        sl_jw_obj_end(w);
        return;
    }
    const sl_identity_result *res = ev->res;
    const sl_passport *pp = &res->pp;
    const char *url = sl_explain_url(res);
    switch (x->finding) {
    case SL_IDR_ORIG_MISMATCH: evidence_tn(w, res, true); break;
    case SL_IDR_DEST_MISMATCH: evidence_tn(w, res, false); break;
    case SL_IDR_IAT_STALE:
        sl_jw_kint(w, "signed_iat", pp->iat);
        if (res->has_date)
            sl_jw_kint(w, "date", res->date);
        sl_jw_kint(w, "capture_time", res->capture_sec);
        sl_jw_kint(w, "tolerance_s", ev->iat_tolerance);
        break;
    case SL_IDR_ALG_MISMATCH:
        sl_jw_kstr(w, "signed_alg", pp->alg);
        sl_jw_kstr(w, "alg_param", res->alg_param);
        sl_jw_kstr(w, "signed_x5u", pp->x5u);
        sl_jw_kstr(w, "info", res->info);
        break;
    case SL_IDR_PPT_MISMATCH:
        sl_jw_kstr(w, "signed_ppt", pp->ppt);
        sl_jw_kstr(w, "ppt_param", res->ppt_param);
        break;
    case SL_IDR_CERT_UNTRUSTED:
    case SL_IDR_CERT_EXPIRED:
        sl_jw_kstr(w, "x5u", url);
        sl_jw_kint(w, "signed_iat", pp->iat);
        sl_jw_kstr(w, "certificate", res->cert_detail);
        break;
    default:
        sl_jw_kstr(w, "x5u", url);
        if (res->detail[0])
            sl_jw_kstr(w, "detail", res->detail);
        break;
    }
    reasons(w, res->reasons);
    sl_jw_obj_end(w);
}

void sl_json_rejection(sl_jw *w, const sl_rejection_event *ev)
{
    const sl_explanation *x = ev->explanation;
    sl_jw_kint(w, "status_code", ev->status_code);
    const char *cause = sl_id_cause_name(x->cause);
    if (cause)
        sl_jw_kstr(w, "cause", cause);
    else
        sl_jw_knull(w, "cause");
    sl_jw_kstr(w, "explanation", x->text);
    evidence(w, ev);
    if (ev->has_reason_header) {
        uint8_t buf[512];
        sl_jw_key(w, "reason_header");
        sl_jw_bytes(w, buf, sl_sip_unfold(ev->reason_header, buf, sizeof buf));
    } else {
        sl_jw_knull(w, "reason_header");
    }
    if (ev->modified_by)
        sl_jw_kstr(w, "modified_by", ev->modified_by);
    else
        sl_jw_knull(w, "modified_by");
}
