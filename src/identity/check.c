/* Re-verification of one Identity header (RFC 8224 full and compact forms,
 * RFC 4474) against the request that carries it: what the analyzer
 * (identity.c) reports and remembers is decided here. */
#include "check.h"

#include "sipsleuth/base64.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_SIG 1024

void sl_id_copy_slice(char *dst, size_t cap, sl_slice s)
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
    sl_id_copy_slice(buf, sizeof buf, sl_slice_trim(v));
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
        sl_id_copy_slice(res->seen_orig_raw, sizeof res->seen_orig_raw, user);
        if (!sl_tn_canon(user, res->seen_orig, sizeof res->seen_orig))
            sl_id_copy_slice(res->seen_orig, sizeof res->seen_orig, user);
    }
    const sl_sip_header *to = sl_sip_find(ctx->msg, SL_HDR_TO);
    if (to && uri_user(to->value, &user)) {
        sl_id_copy_slice(res->seen_dest_raw, sizeof res->seen_dest_raw, user);
        if (!sl_tn_canon(user, res->seen_dest, sizeof res->seen_dest))
            sl_id_copy_slice(res->seen_dest, sizeof res->seen_dest, user);
    }
}

/* RFC 8224 §6.2.1: iat within the tolerance of Date, and of the capture
 * time (the verifier's clock), in the past or the future. */
static void check_fresh(sl_identity_result *res, int64_t iat, int64_t tolerance)
{
    if (res->has_date && (iat > res->date + tolerance || iat < res->date - tolerance)) {
        set_reason(res, SL_IDR_IAT_STALE);
        res->iat_off_date = true;
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
static sl_cert_entry *check_cert(const sl_id_checker *ck, const char *url, int64_t at, bool shaken,
                                 sl_identity_result *res)
{
    sl_cert_entry *e = sl_certstore_find(ck->certs, sl_slice_make(url, strlen(url)));
    if (!e) {
        set_reason(res, SL_IDR_CERT_UNAVAILABLE);
        return NULL;
    }
    res->chain_checked = sl_certstore_has_trust(ck->certs);
    switch (sl_certstore_check(ck->certs, e, at, res->cert_detail, sizeof res->cert_detail)) {
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
        res->der_signature = true;
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
    sl_id_copy_slice(pp->alg, sizeof pp->alg, h->alg.len ? h->alg : SL_SLICE_LIT("ES256"));
    snprintf(pp->typ, sizeof pp->typ, "passport");
    sl_id_copy_slice(pp->x5u, sizeof pp->x5u, h->info);
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

/* The Identity header's parameters against the decoded PASSporT's claims. */
static void check_params(const sl_identity_hdr *h, bool shaken, sl_identity_result *res)
{
    const sl_passport *pp = &res->pp;
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
}

static void verify_jws(const sl_id_checker *ck, const sl_sip_ctx *ctx, const sl_identity_hdr *h,
                       sl_identity_result *res)
{
    sl_id_copy_slice(res->info, sizeof res->info, h->info);
    sl_id_copy_slice(res->alg_param, sizeof res->alg_param, h->alg);
    sl_id_copy_slice(res->ppt_param, sizeof res->ppt_param, h->ppt);
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
    check_params(h, shaken, res);
    if (h->form == SL_IDENTITY_FULL)
        check_claims(ctx, res, ck->iat_tolerance);
    else
        check_fresh(res, pp->iat, ck->iat_tolerance);
    /* The signed x5u names the key; info only when the token has none. */
    sl_cert_entry *e = check_cert(ck, pp->x5u[0] ? pp->x5u : res->info, pp->iat, shaken, res);
    uint8_t sig[MAX_SIG];
    size_t sig_len;
    if (sl_base64url_decode(h->signature, sig, sizeof sig, &sig_len) != SL_OK) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "signature is not base64url");
        return;
    }
    /* A signature of the wrong shape is invalid whatever the key: judged
     * even when the certificate was not supplied. */
    sl_sig_result shape =
        strcmp(pp->alg, "ES256") == 0 ? sl_es256_sig_shape(sig, sig_len) : SL_SIG_OK;
    if (shape != SL_SIG_OK)
        judge_signature(res, shape, sig_len);
    else if (e)
        judge_signature(res,
                        sl_verifier_check(ck->verifier, &e->vkey, true, e->fingerprint, msg,
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

static void verify_rfc4474(const sl_id_checker *ck, const sl_sip_ctx *ctx,
                           const sl_identity_hdr *identity, sl_identity_result *res)
{
    /* the Identity header's parts, and Identity-Info's added to them */
    sl_identity_hdr both = *identity, *h = &both;
    const sl_sip_header *info = sl_sip_find(ctx->msg, SL_HDR_IDENTITY_INFO);
    if (!info || sl_identity_info_parse(info->value, h) != SL_OK) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, info ? "Identity-Info unparsable" : "no Identity-Info header");
        return;
    }
    sl_id_copy_slice(res->info, sizeof res->info, h->info);
    sl_id_copy_slice(res->alg_param, sizeof res->alg_param, h->alg);
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
    check_fresh(res, res->date, ck->iat_tolerance);
    sl_cert_entry *e = check_cert(ck, res->info, res->date, false, res);
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
            sl_verifier_check(ck->verifier, &e->vkey, false, e->fingerprint, ds, n, sig, sig_len),
            sig_len);
    free(ds);
}

void sl_id_check(const sl_id_checker *ck, const sl_sip_ctx *ctx, const sl_identity_hdr *h,
                 bool parsed, sl_identity_result *res)
{
    memset(res, 0, sizeof *res);
    res->capture_sec = ctx->ts / SL_NS_PER_SEC;
    const sl_sip_header *date = sl_sip_find(ctx->msg, SL_HDR_DATE);
    res->has_date = date && parse_date(date->value, &res->date);
    res->form = h->form;
    if (!parsed) {
        set_reason(res, SL_IDR_MALFORMED);
        add_detail(res, "Identity header unparsable");
        return;
    }
    if (h->form == SL_IDENTITY_RFC4474)
        verify_rfc4474(ck, ctx, h, res);
    else
        verify_jws(ck, ctx, h, res);
}
