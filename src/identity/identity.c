/* The identity analyzer: verifies each signed request once per leg and
 * remembers the verdicts (bounded, expiring on capture time) to explain the
 * 428/436/437/438 responses and to find the hop that changed a signed field. */
#include "sipsleuth/identity.h"

#include "../hash.h"
#include "sipsleuth/base64.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_IDENTITY_HEADERS 8
#define MAX_CALL_ID 256
#define MAX_SIG 1024

static const char *const reason_names[SL_IDR__COUNT] = {
    "malformed",    "signature_invalid", "orig_mismatch",    "dest_mismatch",  "iat_stale",
    "alg_mismatch", "ppt_mismatch",      "cert_unavailable", "cert_untrusted", "cert_expired",
};

const char *sl_id_reason_name(sl_id_reason r)
{
    return r < SL_IDR__COUNT ? reason_names[r] : "unknown";
}

/* A request remembered for its response and for later legs of the call. */
typedef struct record {
    bool used;
    sl_time ts;
    char call_id[MAX_CALL_ID];
    size_t call_id_len;
    uint32_t cseq;
    char method[16];
    sl_addr src, dst;
    bool is_signed;
    uint64_t token_hash; /* the same PASSporT on another leg hashes the same */
    bool answered;       /* its rejection was written */
    bool has_modifier;
    sl_addr modified_by;
    sl_identity_result res;
} record;

struct sl_identity {
    sl_identity_config cfg;
    sl_certstore *certs;
    sl_verifier *verifier;
    sl_output *out;
    /* A ring: the oldest is overwritten once it holds max_records. It grows
     * (doubling) only while it has not wrapped, so until then it is in
     * arrival order and the slots from `next` on are unused. */
    record *records;
    size_t n_slots, next;
    uint64_t requests, valid, invalid, unverifiable, rejections;
    uint64_t reason_counts[SL_IDR__COUNT];
    uint64_t cause_counts[SL_ID_CAUSE__COUNT];
};

void sl_identity_config_default(sl_identity_config *cfg)
{
    cfg->iat_tolerance = 60;
    cfg->max_records = 4096;
    cfg->record_ttl = 300;
    cfg->max_certs = SL_CERTSTORE_MAX;
}

sl_identity *sl_identity_new(const sl_identity_config *cfg, sl_certstore *cs, sl_output *out)
{
    sl_identity *id = calloc(1, sizeof *id);
    if (!id) {
        sl_certstore_free(cs);
        return NULL;
    }
    if (cfg)
        id->cfg = *cfg;
    else
        sl_identity_config_default(&id->cfg);
    if (!id->cfg.max_records)
        id->cfg.max_records = 1;
    if (!id->cfg.max_certs)
        id->cfg.max_certs = SL_CERTSTORE_MAX;
    id->certs = cs;
    id->out = out;
    id->verifier = sl_verifier_new(4096);
    if (!id->verifier || !cs || !sl_certstore_set_max(cs, id->cfg.max_certs)) {
        sl_identity_free(id);
        return NULL;
    }
    return id;
}

void sl_identity_free(sl_identity *id)
{
    if (!id)
        return;
    sl_certstore_free(id->certs);
    sl_verifier_free(id->verifier);
    free(id->records);
    free(id);
}

static void copy_slice(char *dst, size_t cap, sl_slice s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

/* The month whose three-letter name *p starts with (0-11), past it; -1 if none. */
static int take_month(const char **p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (size_t i = 0; i < 12; i++)
        if (strncmp(*p, names + 3 * i, 3) == 0) {
            *p += 3;
            return (int)i;
        }
    return -1;
}

/* Blanks, then 1 to max_digits digits (no more): a bounded number, so no
 * header value can overflow it. */
static bool take_number(const char **p, int max_digits, int *out)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    int v = 0, n = 0;
    while (n < max_digits && s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (s[n] - '0');
        n++;
    }
    if (n == 0 || (s[n] >= '0' && s[n] <= '9'))
        return false;
    *out = v;
    *p = s + n;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* RFC 3261 Date: "Sat, 13 Nov 2010 23:29:00 GMT" (the day name and the zone
 * are not checked). Read by hand, not by sscanf: it comes from the packet. */
static bool parse_date(sl_slice v, int64_t *out)
{
    char buf[64];
    copy_slice(buf, sizeof buf, sl_slice_trim(v));
    const char *p = strchr(buf, ',');
    p = p ? p + 1 : buf;
    struct tm tm = {0};
    if (!take_number(&p, 2, &tm.tm_mday))
        return false;
    while (*p == ' ' || *p == '\t')
        p++;
    if ((tm.tm_mon = take_month(&p)) < 0 || !take_number(&p, 4, &tm.tm_year) ||
        !take_number(&p, 2, &tm.tm_hour) || !take_char(&p, ':') ||
        !take_number(&p, 2, &tm.tm_min) || !take_char(&p, ':') || !take_number(&p, 2, &tm.tm_sec))
        return false;
    tm.tm_year -= 1900;
    *out = (int64_t)timegm(&tm);
    return true;
}

/* The user part of the URI in a name-addr header value (From, To, PAI). */
static bool uri_user(sl_slice value, sl_slice *user)
{
    sl_sip_nameaddr na;
    sl_sip_uri u;
    if (sl_sip_nameaddr_parse(value, &na) != SL_OK || sl_sip_uri_parse(na.uri, &u) != SL_OK)
        return false;
    if (u.scheme != SL_URI_SIP && u.scheme != SL_URI_SIPS && u.scheme != SL_URI_TEL)
        return false;
    *user = u.user;
    return u.user.len > 0;
}

static void set_reason(sl_identity_result *res, sl_id_reason r)
{
    res->reasons |= 1u << r;
}

static void add_detail(sl_identity_result *res, const char *d)
{
    size_t n = strlen(res->detail);
    if (n + 3 + strlen(d) < sizeof res->detail)
        snprintf(res->detail + n, sizeof res->detail - n, "%s%s", n ? "; " : "", d);
}

/* The seen calling and called numbers (PAI first, RFC 8224 §5.2.1). */
static void seen_numbers(const sl_sip_ctx *ctx, sl_identity_result *res)
{
    sl_slice user;
    const sl_sip_header *pai = sl_sip_find(ctx->msg, SL_HDR_P_ASSERTED_IDENTITY);
    bool from_pai = false;
    for (; pai; pai = sl_sip_find_next(ctx->msg, pai)) {
        sl_slice rest = pai->value, elem;
        while (sl_sip_next_element(&rest, &elem))
            if (uri_user(elem, &user)) {
                from_pai = true;
                break;
            }
        if (from_pai)
            break;
    }
    const sl_sip_header *from = sl_sip_find(ctx->msg, SL_HDR_FROM);
    if (from_pai || (from && uri_user(from->value, &user))) {
        res->orig_source = from_pai ? "P-Asserted-Identity" : "From";
        copy_slice(res->seen_orig_raw, sizeof res->seen_orig_raw, user);
        if (!sl_tn_canon(user, res->seen_orig, sizeof res->seen_orig))
            copy_slice(res->seen_orig, sizeof res->seen_orig, user);
    }
    const sl_sip_header *to = sl_sip_find(ctx->msg, SL_HDR_TO);
    if (to && uri_user(to->value, &user)) {
        copy_slice(res->seen_dest_raw, sizeof res->seen_dest_raw, user);
        if (!sl_tn_canon(user, res->seen_dest, sizeof res->seen_dest))
            copy_slice(res->seen_dest, sizeof res->seen_dest, user);
    }
}

/* RFC 8224 §6.2.1: iat within the tolerance of Date, and of the capture
 * time (the verifier's clock), in the past or the future. */
static void check_fresh(sl_identity_result *res, int64_t iat, int64_t tolerance)
{
    if (res->has_date && (iat > res->date + tolerance || iat < res->date - tolerance)) {
        set_reason(res, SL_IDR_IAT_STALE);
        add_detail(res, "iat is off the Date header");
    } else if (iat > res->capture_sec + tolerance || iat < res->capture_sec - tolerance) {
        set_reason(res, SL_IDR_IAT_STALE);
        add_detail(res, "iat is off the capture time");
    }
}

/* Signed TN vs seen TN after canonicalization of both. */
static bool tn_match(const char *signed_tn, const char *seen, const char *seen_raw,
                     bool *canon_only)
{
    char canon[SL_TN_MAX];
    if (!sl_tn_canon(sl_slice_make(signed_tn, strlen(signed_tn)), canon, sizeof canon))
        snprintf(canon, sizeof canon, "%s", signed_tn);
    if (strcmp(canon, seen) != 0)
        return false;
    *canon_only = strcmp(signed_tn, seen_raw) != 0;
    return true;
}

static void check_claims(const sl_sip_ctx *ctx, sl_identity_result *res, int64_t tolerance)
{
    seen_numbers(ctx, res);
    const sl_passport *pp = &res->pp;
    if (pp->orig_tn[0] &&
        !tn_match(pp->orig_tn, res->seen_orig, res->seen_orig_raw, &res->orig_canon_only))
        set_reason(res, SL_IDR_ORIG_MISMATCH);
    bool dest_ok = pp->n_dest == 0;
    for (size_t i = 0; i < pp->n_dest && !dest_ok; i++)
        dest_ok =
            tn_match(pp->dest_tn[i], res->seen_dest, res->seen_dest_raw, &res->dest_canon_only);
    if (!dest_ok)
        set_reason(res, SL_IDR_DEST_MISMATCH);
    if (res->orig_canon_only && !(res->reasons & (1u << SL_IDR_ORIG_MISMATCH)))
        add_detail(res, "orig matches only after canonicalization");
    if (res->dest_canon_only && dest_ok)
        add_detail(res, "dest matches only after canonicalization");
    check_fresh(res, pp->iat, tolerance);
}

/* Certificate lookup and checks; NULL when there is nothing to verify with. */
static sl_cert_entry *check_cert(sl_identity *id, const char *url, int64_t at, bool shaken,
                                 sl_identity_result *res)
{
    sl_cert_entry *e = sl_certstore_find(id->certs, sl_slice_make(url, strlen(url)));
    if (!e) {
        set_reason(res, SL_IDR_CERT_UNAVAILABLE);
        return NULL;
    }
    res->chain_checked = sl_certstore_has_trust(id->certs);
    switch (sl_certstore_check(id->certs, e, at, res->cert_detail, sizeof res->cert_detail)) {
    case SL_CERT_EXPIRED: set_reason(res, SL_IDR_CERT_EXPIRED); break;
    case SL_CERT_UNTRUSTED: set_reason(res, SL_IDR_CERT_UNTRUSTED); break;
    case SL_CERT_OK: break;
    }
    if (shaken && !e->has_tnauthlist) {
        set_reason(res, SL_IDR_CERT_UNTRUSTED);
        snprintf(res->cert_detail, sizeof res->cert_detail, "SHAKEN certificate lacks TNAuthList");
    }
    return e;
}

static void judge_signature(sl_identity_result *res, sl_sig_result r, size_t sig_len)
{
    char d[64] = "";
    switch (r) {
    case SL_SIG_OK: return;
    case SL_SIG_DER:
        snprintf(d, sizeof d, "der_signature (%zu bytes, not raw r||s)", sig_len);
        break;
    case SL_SIG_BAD_SIZE: snprintf(d, sizeof d, "signature is %zu bytes, not 64", sig_len); break;
    case SL_SIG_KEY: snprintf(d, sizeof d, "certificate key does not fit the algorithm"); break;
    case SL_SIG_BAD: d[0] = '\0'; break;
    }
    set_reason(res, SL_IDR_SIGNATURE_INVALID);
    if (d[0])
        add_detail(res, d);
}

/* RFC 8225 deterministic JSON for a compact token's header and payload. */
static bool rebuild_compact(const sl_identity_hdr *h, sl_identity_result *res, char *input,
                            size_t cap)
{
    sl_passport *pp = &res->pp;
    copy_slice(pp->alg, sizeof pp->alg, h->alg.len ? h->alg : SL_SLICE_LIT("ES256"));
    snprintf(pp->typ, sizeof pp->typ, "passport");
    copy_slice(pp->x5u, sizeof pp->x5u, h->info);
    snprintf(pp->orig_tn, sizeof pp->orig_tn, "%s", res->seen_orig);
    snprintf(pp->dest_tn[0], sizeof pp->dest_tn[0], "%s", res->seen_dest);
    pp->n_dest = 1;
    pp->iat = res->date;
    char hj[700], pj[300];
    int hn = snprintf(hj, sizeof hj, "{\"alg\":\"%s\",\"typ\":\"passport\",\"x5u\":\"%s\"}",
                      pp->alg, pp->x5u);
    int pn = snprintf(pj, sizeof pj,
                      "{\"dest\":{\"tn\":[\"%s\"]},\"iat\":%lld,\"orig\":{\"tn\":\"%s\"}}",
                      pp->dest_tn[0], (long long)pp->iat, pp->orig_tn);
    if (hn < 0 || (size_t)hn >= sizeof hj || pn < 0 || (size_t)pn >= sizeof pj ||
        strpbrk(pp->x5u, "\"\\"))
        return false;
    size_t o = sl_base64url_encode((const uint8_t *)hj, (size_t)hn, input, cap);
    if (o + 2 >= cap)
        return false;
    input[o++] = '.';
    sl_base64url_encode((const uint8_t *)pj, (size_t)pn, input + o, cap - o);
    return true;
}

static void verify_jws(sl_identity *id, const sl_sip_ctx *ctx, const sl_identity_hdr *h,
                       sl_identity_result *res)
{
    copy_slice(res->info, sizeof res->info, h->info);
    copy_slice(res->alg_param, sizeof res->alg_param, h->alg);
    copy_slice(res->ppt_param, sizeof res->ppt_param, h->ppt);
    /* msg points into it after the block that fills it, so it stays at this scope */
    // cppcheck-suppress variableScope
    char input[1400];
    const uint8_t *msg = h->signing_input.ptr;
    size_t msg_len = h->signing_input.len;
    if (h->form == SL_IDENTITY_COMPACT) {
        seen_numbers(ctx, res);
        if (h->ppt.len) {
            /* SHAKEN's attest and origid are signed but not in the SIP request. */
            set_reason(res, SL_IDR_MALFORMED);
            add_detail(res, "compact form with a ppt extension cannot be rebuilt");
            return;
        }
        if (!res->has_date || !rebuild_compact(h, res, input, sizeof input)) {
            set_reason(res, SL_IDR_MALFORMED);
            add_detail(res, res->has_date ? "compact form: cannot rebuild the PASSporT"
                                          : "compact form needs a Date header");
            return;
        }
        res->decoded = true;
        msg = (const uint8_t *)input;
        msg_len = strlen(input);
    } else if (!sl_passport_decode(h->jws_header, h->jws_payload, &res->pp)) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, res->pp.error);
        return;
    } else {
        res->decoded = true;
    }
    sl_passport *pp = &res->pp;
    bool shaken = strcmp(pp->ppt, "shaken") == 0;
    if (strcmp(pp->alg, "ES256") != 0 || (h->alg.len && !sl_slice_eq(h->alg, pp->alg))) {
        set_reason(res, SL_IDR_ALG_MISMATCH);
        add_detail(res, "alg parameter and signed alg differ or are not ES256");
    }
    if (pp->typ[0] && strcmp(pp->typ, "passport") != 0) {
        set_reason(res, SL_IDR_ALG_MISMATCH);
        add_detail(res, "typ is not passport");
    }
    if (h->info.len && pp->x5u[0] && !sl_slice_eq(h->info, pp->x5u)) {
        set_reason(res, SL_IDR_ALG_MISMATCH);
        add_detail(res, "x5u_info_mismatch");
    }
    if (!sl_slice_eq(h->ppt, pp->ppt)) {
        set_reason(res, SL_IDR_PPT_MISMATCH);
        add_detail(res, "ppt parameter and signed ppt differ");
    }
    if (shaken && (strlen(pp->attest) != 1 || !strchr("ABC", pp->attest[0]) || !pp->origid[0])) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "SHAKEN attest or origid missing or invalid");
    }
    if (h->form == SL_IDENTITY_FULL)
        check_claims(ctx, res, id->cfg.iat_tolerance);
    else
        check_fresh(res, pp->iat, id->cfg.iat_tolerance);
    /* The signed x5u names the key; info only when the token has none. */
    sl_cert_entry *e = check_cert(id, pp->x5u[0] ? pp->x5u : res->info, pp->iat, shaken, res);
    uint8_t sig[MAX_SIG];
    size_t sig_len;
    if (sl_base64url_decode(h->signature, sig, sizeof sig, &sig_len) != SL_OK) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "signature is not base64url");
        return;
    }
    if (e)
        judge_signature(res,
                        sl_verifier_check(id->verifier, &e->vkey, true, e->fingerprint, msg,
                                          msg_len, sig, sig_len),
                        sig_len);
}

/* RFC 4474 §9: From | To | Call-ID | CSeq | Date | Contact | body, addr-specs. */
static size_t digest_string(const sl_sip_ctx *ctx, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const sl_sip_header *date = sl_sip_find(ctx->msg, SL_HDR_DATE);
    const sl_sip_header *contact = sl_sip_find(ctx->msg, SL_HDR_CONTACT);
    sl_sip_nameaddr c = {0};
    if (contact) {
        sl_slice rest = contact->value, elem;
        if (sl_sip_next_element(&rest, &elem))
            sl_sip_nameaddr_parse(elem, &c);
    }
    char cseq[32];
    snprintf(cseq, sizeof cseq, "%u ", ctx->cseq.number);
    const sl_slice parts[] = {ctx->from.uri,
                              ctx->to.uri,
                              ctx->call_id,
                              sl_slice_make(cseq, strlen(cseq)),
                              ctx->cseq.method,
                              date ? sl_slice_trim(date->value) : sl_slice_make(NULL, 0),
                              c.uri,
                              ctx->msg->body};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (i > 0 && i != 4) {
            if (n == cap)
                return SIZE_MAX;
            out[n++] = '|';
        }
        if (parts[i].len > cap - n)
            return SIZE_MAX;
        if (parts[i].len)
            memcpy(out + n, parts[i].ptr, parts[i].len);
        n += parts[i].len;
    }
    return n;
}

static void verify_rfc4474(sl_identity *id, const sl_sip_ctx *ctx, sl_identity_hdr *h,
                           sl_identity_result *res)
{
    const sl_sip_header *info = sl_sip_find(ctx->msg, SL_HDR_IDENTITY_INFO);
    if (!info || sl_identity_info_parse(info->value, h) != SL_OK) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, info ? "Identity-Info unparsable" : "no Identity-Info header");
        return;
    }
    copy_slice(res->info, sizeof res->info, h->info);
    copy_slice(res->alg_param, sizeof res->alg_param, h->alg);
    snprintf(res->pp.x5u, sizeof res->pp.x5u, "%s", res->info);
    snprintf(res->pp.alg, sizeof res->pp.alg, "%s", res->alg_param);
    seen_numbers(ctx, res);
    if (!res->has_date) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "RFC 4474 needs a Date header");
        return;
    }
    res->pp.iat = res->date;
    if (!sl_slice_ieq(h->alg, "rsa-sha1")) {
        set_reason(res, SL_IDR_ALG_MISMATCH);
        add_detail(res, "Identity-Info alg is not rsa-sha1");
    }
    check_fresh(res, res->date, id->cfg.iat_tolerance);
    sl_cert_entry *e = check_cert(id, res->info, res->date, false, res);
    uint8_t sig[MAX_SIG];
    size_t sig_len;
    if (sl_base64_decode(h->signature, sig, sizeof sig, &sig_len) != SL_OK) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "signature is not base64");
        return;
    }
    if (!e)
        return;
    size_t cap = ctx->msg->body.len + ctx->raw.len + 64;
    uint8_t *ds = malloc(cap);
    size_t n = ds ? digest_string(ctx, ds, cap) : SIZE_MAX;
    if (n == SIZE_MAX)
        set_reason(res, SL_IDR_MALFORMED);
    else
        judge_signature(
            res,
            sl_verifier_check(id->verifier, &e->vkey, false, e->fingerprint, ds, n, sig, sig_len),
            sig_len);
    free(ds);
}

void sl_identity_verify(sl_identity *id, const sl_sip_ctx *ctx, const sl_sip_header *identity,
                        sl_identity_result *res)
{
    memset(res, 0, sizeof *res);
    res->capture_sec = ctx->ts / SL_NS_PER_SEC;
    const sl_sip_header *date = sl_sip_find(ctx->msg, SL_HDR_DATE);
    res->has_date = date && parse_date(date->value, &res->date);
    sl_identity_hdr h;
    if (sl_identity_header_parse(identity->value, &h) != SL_OK) {
        res->form = h.form;
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "Identity header unparsable");
        return;
    }
    res->form = h.form;
    if (h.form == SL_IDENTITY_RFC4474)
        verify_rfc4474(id, ctx, &h, res);
    else
        verify_jws(id, ctx, &h, res);
}

static const char *form_name(sl_identity_form f)
{
    switch (f) {
    case SL_IDENTITY_FULL: return "full";
    case SL_IDENTITY_COMPACT: return "compact";
    case SL_IDENTITY_RFC4474: return "rfc4474";
    }
    return "full";
}

/* valid: nothing wrong; unverifiable: nothing wrong that could be judged
 * (the certificate is missing, or a compact SHAKEN token cannot be rebuilt). */
static const char *verdict_of(const sl_identity_result *res)
{
    if (!res->reasons)
        return "valid";
    if (res->reasons == 1u << SL_IDR_CERT_UNAVAILABLE ||
        (res->form == SL_IDENTITY_COMPACT && res->reasons == 1u << SL_IDR_MALFORMED &&
         res->ppt_param[0]))
        return "unverifiable";
    return "invalid";
}

static void kstr_or_null(sl_jw *w, const char *key, const char *s)
{
    if (s && s[0])
        sl_jw_kstr(w, key, s);
    else
        sl_jw_knull(w, key);
}

static void write_identity(sl_identity *id, const sl_sip_ctx *ctx, const sl_identity_result *res,
                           size_t index, size_t count)
{
    const char *verdict = verdict_of(res);
    if (!strcmp(verdict, "valid"))
        id->valid++;
    else if (!strcmp(verdict, "invalid"))
        id->invalid++;
    else
        id->unverifiable++;
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (res->reasons & (1u << r))
            id->reason_counts[r]++;
    sl_jw *w = sl_event_begin(id->out, SL_EV_IDENTITY, ctx->ts, ctx->call_id, &ctx->flow);
    if (!w)
        return;
    sl_jw_kstr(w, "verdict", verdict);
    sl_jw_key(w, "reasons");
    sl_jw_arr_begin(w);
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (res->reasons & (1u << r))
            sl_jw_str(w, reason_names[r]);
    sl_jw_arr_end(w);
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
    if (count > 1) {
        sl_jw_kuint(w, "index", index);
        sl_jw_kuint(w, "count", count);
    }
    sl_event_end(id->out);
}

static void report_flags(sl_identity *id, const sl_sip_ctx *ctx, uint32_t flags)
{
    while (flags) {
        uint32_t bit = flags & (~flags + 1);
        flags &= ~bit;
        sl_jw *w = sl_event_anomaly(id->out, ctx->ts, ctx->call_id, &ctx->flow,
                                    sl_identity_flag_kind(bit));
        if (!w)
            continue;
        sl_jw_kstr(w, "layer", "identity");
        sl_event_end(id->out);
    }
}

/* A cap was reached: an anomaly with a detail text. */
static void report_cap(sl_identity *id, const sl_sip_ctx *ctx, const char *kind, const char *detail)
{
    sl_jw *w = sl_event_anomaly(id->out, ctx->ts, ctx->call_id, &ctx->flow, kind);
    if (!w)
        return;
    sl_jw_kstr(w, "layer", "identity");
    sl_jw_kstr(w, "detail", detail);
    sl_event_end(id->out);
}

static bool same_addr(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static bool same_call(const record *r, sl_slice call_id)
{
    return r->used && r->call_id_len == call_id.len &&
           memcmp(r->call_id, call_id.ptr, call_id.len) == 0;
}

static bool live(const sl_identity *id, const record *r, sl_time now)
{
    return r->used && now - r->ts <= id->cfg.record_ttl * SL_NS_PER_SEC;
}

#define TAMPER_REASONS                                                                             \
    ((1u << SL_IDR_ORIG_MISMATCH) | (1u << SL_IDR_DEST_MISMATCH) | (1u << SL_IDR_SIGNATURE_INVALID))

/* A signed field changed between legs: the sender of the first changed leg
 * (seen after a leg where the same token still matched) changed it. */
static void find_modifier(sl_identity *id, record *nr, sl_time now)
{
    if (!(nr->res.reasons & TAMPER_REASONS))
        return;
    sl_slice call_id = sl_slice_make(nr->call_id, nr->call_id_len);
    bool clean_seen = false;
    for (size_t i = 0; i < id->n_slots; i++) {
        record *r = &id->records[i];
        if (r == nr || !live(id, r, now) || !r->is_signed || r->token_hash != nr->token_hash ||
            !same_call(r, call_id))
            continue;
        if (r->has_modifier) {
            nr->has_modifier = true;
            nr->modified_by = r->modified_by;
            return;
        }
        if (!(r->res.reasons & TAMPER_REASONS))
            clean_seen = true;
    }
    if (clean_seen) {
        nr->has_modifier = true;
        nr->modified_by = nr->src;
    }
}

/* The slot for a new request: the next one of the ring, which first grows
 * towards max_records (when it cannot, it wraps early). NULL without any. */
static record *next_slot(sl_identity *id)
{
    if (id->next == id->n_slots && id->n_slots < id->cfg.max_records) {
        size_t n = id->n_slots ? id->n_slots * 2 : 16;
        if (n > id->cfg.max_records)
            n = id->cfg.max_records;
        record *grown = realloc(id->records, n * sizeof *grown);
        if (grown) {
            memset(grown + id->n_slots, 0, (n - id->n_slots) * sizeof *grown);
            id->records = grown;
            id->n_slots = n;
        }
    }
    if (!id->n_slots)
        return NULL;
    id->next %= id->n_slots;
    return &id->records[id->next++];
}

static void on_request(sl_identity *id, const sl_sip_ctx *ctx)
{
    const sl_sip_header *hdrs[MAX_IDENTITY_HEADERS];
    size_t n = 0;
    for (const sl_sip_header *h = sl_sip_find(ctx->msg, SL_HDR_IDENTITY);
         h && n < MAX_IDENTITY_HEADERS; h = sl_sip_find_next(ctx->msg, h))
        hdrs[n++] = h;
    bool invite = sl_slice_eq(ctx->msg->method, "INVITE");
    if (!n && !invite)
        return;
    record *r = next_slot(id);
    if (!r)
        return;
    if (live(id, r, ctx->ts))
        report_cap(id, ctx, "identity_pending_evicted",
                   "a request still awaiting its response was forgotten (max_records)");
    memset(r, 0, sizeof *r);
    r->used = true;
    r->ts = ctx->ts;
    r->call_id_len = ctx->call_id.len < MAX_CALL_ID ? ctx->call_id.len : MAX_CALL_ID;
    memcpy(r->call_id, ctx->call_id.ptr, r->call_id_len);
    r->cseq = ctx->cseq.number;
    copy_slice(r->method, sizeof r->method, ctx->msg->method);
    r->src = ctx->flow.src;
    r->dst = ctx->flow.dst;
    r->is_signed = n > 0;
    if (!n)
        return;
    id->requests++;
    bool have_best = false;
    for (size_t i = 0; i < n; i++) {
        sl_identity_result res;
        uint64_t refused = sl_certstore_refused(id->certs);
        sl_identity_verify(id, ctx, hdrs[i], &res);
        if (sl_certstore_refused(id->certs) != refused)
            report_cap(id, ctx, "certstore_full",
                       "a certificate was not looked up: the store is full (max_certs)");
        sl_identity_hdr h;
        if (sl_identity_header_parse(hdrs[i]->value, &h) == SL_OK && h.flags)
            report_flags(id, ctx, h.flags);
        write_identity(id, ctx, &res, i, n);
        /* The request is judged by its best header: a valid one, else the first. */
        if (!have_best || (r->res.reasons && !res.reasons)) {
            r->res = res;
            r->token_hash = sl_hash_bytes(0, hdrs[i]->value.ptr, hdrs[i]->value.len);
            sl_identity_hdr th;
            if (sl_identity_header_parse(hdrs[i]->value, &th) == SL_OK)
                r->token_hash = sl_hash_bytes(0, th.token.ptr, th.token.len);
            have_best = true;
        }
    }
    find_modifier(id, r, ctx->ts);
}

/* The request a response answers: same Call-ID, CSeq and leg. */
static record *request_of(sl_identity *id, const sl_sip_ctx *ctx)
{
    for (size_t k = 0; k < id->n_slots; k++) {
        /* newest first: a re-sent INVITE (new CSeq) wins over an older one */
        size_t i = (id->next + id->n_slots - 1 - k) % id->n_slots;
        record *r = &id->records[i];
        if (!live(id, r, ctx->ts) || !same_call(r, ctx->call_id) || r->cseq != ctx->cseq.number ||
            !sl_slice_eq(ctx->cseq.method, r->method))
            continue;
        if (same_addr(&r->src, &ctx->flow.dst) && same_addr(&r->dst, &ctx->flow.src))
            return r;
    }
    return NULL;
}

static void addr_text(const sl_addr *a, char *out, size_t cap)
{
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, out, (socklen_t)cap))
        out[0] = '\0';
}

/* sl_identity_counts.causes index of a cause name from sl_explain_cause(). */
static int cause_index(const char *cause)
{
    if (!cause)
        return SL_ID_CAUSE_NOT_CAPTURED;
    if (!strcmp(cause, "identity_missing"))
        return SL_ID_CAUSE_MISSING;
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (!strcmp(cause, reason_names[r]))
            return r;
    return SL_ID_CAUSE_NO_FAULT;
}

static void on_rejection(sl_identity *id, const sl_sip_ctx *ctx)
{
    record *r = request_of(id, ctx);
    if (r && r->answered)
        return;
    if (r)
        r->answered = true;
    id->rejections++;
    const sl_identity_result *res = r && r->is_signed ? &r->res : NULL;
    id->cause_counts[cause_index(sl_explain_cause(ctx->msg->status_code, res, r != NULL))]++;
    sl_jw *w = sl_event_begin(id->out, SL_EV_REJECTION, ctx->ts, ctx->call_id, &ctx->flow);
    if (!w)
        return;
    sl_jw_kint(w, "status_code", ctx->msg->status_code);
    sl_explain_write(w, ctx->msg->status_code, res, r != NULL, id->cfg.iat_tolerance);
    const sl_sip_header *reason = sl_sip_find(ctx->msg, SL_HDR_REASON);
    for (; reason; reason = sl_sip_find_next(ctx->msg, reason))
        if (sl_slice_istarts(reason->value, "STIR"))
            break;
    if (reason) {
        uint8_t buf[512];
        sl_jw_key(w, "reason_header");
        sl_jw_bytes(w, buf, sl_sip_unfold(reason->value, buf, sizeof buf));
    } else {
        sl_jw_knull(w, "reason_header");
    }
    const char *cause = sl_explain_cause(ctx->msg->status_code, res, r != NULL);
    if (r && r->has_modifier && cause && res && (res->reasons & TAMPER_REASONS) &&
        (!strcmp(cause, "orig_mismatch") || !strcmp(cause, "dest_mismatch") ||
         !strcmp(cause, "signature_invalid"))) {
        char ip[64];
        addr_text(&r->modified_by, ip, sizeof ip);
        sl_jw_kstr(w, "modified_by", ip);
    } else {
        sl_jw_knull(w, "modified_by");
    }
    sl_event_end(id->out);
}

void sl_identity_on_message(sl_identity *id, const sl_sip_ctx *ctx)
{
    if (ctx->retransmission || !ctx->call_id.len)
        return;
    if (ctx->msg->is_request) {
        on_request(id, ctx);
        return;
    }
    int sc = ctx->msg->status_code;
    if (sc == 428 || (sc >= 436 && sc <= 438))
        on_rejection(id, ctx);
}

void sl_identity_get_counts(const sl_identity *id, sl_identity_counts *out)
{
    *out = (sl_identity_counts){.signed_requests = id->requests,
                                .valid = id->valid,
                                .invalid = id->invalid,
                                .unverifiable = id->unverifiable,
                                .rejections = id->rejections};
    memcpy(out->reasons, id->reason_counts, sizeof out->reasons);
    memcpy(out->causes, id->cause_counts, sizeof out->causes);
}

/* A certificate with its chain and key, roughly, for the memory estimate. */
#define CERT_BYTES 4096

size_t sl_identity_memory(const sl_identity *id)
{
    return sizeof *id + id->n_slots * sizeof *id->records + sl_verifier_memory(id->verifier) +
           sl_certstore_count(id->certs) * CERT_BYTES;
}

void sl_identity_stats(const sl_identity *id, sl_jw *w)
{
    uint64_t checked, hits;
    sl_verifier_stats(id->verifier, &checked, &hits);
    sl_jw_key(w, "identity");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "signed_requests", id->requests);
    sl_jw_kuint(w, "valid", id->valid);
    sl_jw_kuint(w, "invalid", id->invalid);
    sl_jw_kuint(w, "unverifiable", id->unverifiable);
    sl_jw_kuint(w, "signatures_checked", checked);
    sl_jw_kuint(w, "cache_hits", hits);
    sl_jw_kuint(w, "rejections", id->rejections);
    sl_jw_kuint(w, "memory_bytes", sl_identity_memory(id));
    sl_jw_obj_end(w);
}
