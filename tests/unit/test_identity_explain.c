/* Rejection explanations (src/identity/explain.c): the cause chosen for each
 * state of the request, the certificate that was not supplied named with how
 * to supply it, a relayed rejection explained by the downstream finding, and
 * a forgotten request not mistaken for an unsigned one. */
#include <criterion/criterion.h>
#include <string.h>

#include "sipsleuth/identity.h"

#define URL "https://certs.example.org/sp.pem"

static sl_explanation explain(const sl_explain_in *in)
{
    sl_explanation x;
    sl_explain(in, &x);
    cr_assert_eq(x.cause, sl_explain_cause(in));
    return x;
}

static void signed_result(sl_identity_result *res, uint32_t reasons)
{
    memset(res, 0, sizeof *res);
    res->decoded = true;
    res->reasons = reasons;
    snprintf(res->pp.x5u, sizeof res->pp.x5u, "%s", URL);
    snprintf(res->pp.orig_tn, sizeof res->pp.orig_tn, "12155550101");
    snprintf(res->seen_orig_raw, sizeof res->seen_orig_raw, "12155550000");
    res->orig_source = "From";
}

Test(explain, cert_unavailable_names_the_url_and_how_to_supply_it)
{
    sl_identity_result res;
    signed_result(&res, 1u << SL_IDR_CERT_UNAVAILABLE);
    sl_explain_in in = {.status = 438, .request = SL_EXPLAIN_SIGNED, .res = &res};
    cr_assert_str_eq(sl_id_cause_name(sl_explain_cause(&in)), "cert_unavailable");
    sl_explanation x = explain(&in);
    cr_assert_eq(x.finding, SL_IDR_CERT_UNAVAILABLE);
    const char *text = x.text;
    cr_assert(strstr(text, "--cert " URL "=FILE"), "%s", text);
    cr_assert(strstr(text, "--cert-dir DIR"), "%s", text);
    cr_assert(strstr(text, "https_certs.example.org_sp.pem"), "%s", text);
    cr_assert(strstr(text, "without a certificate is wrong"), "%s", text);
}

Test(explain, a_finding_without_the_certificate_decides_the_cause)
{
    sl_identity_result res;
    signed_result(&res, (1u << SL_IDR_ORIG_MISMATCH) | (1u << SL_IDR_CERT_UNAVAILABLE));
    sl_explain_in in = {.status = 438, .request = SL_EXPLAIN_SIGNED, .res = &res};
    cr_assert_str_eq(sl_id_cause_name(sl_explain_cause(&in)), "orig_mismatch");
    /* a 436 stands for the certificate fetch: that is what it is about */
    in.status = 436;
    cr_assert_str_eq(sl_id_cause_name(sl_explain_cause(&in)), "cert_unavailable");
    sl_explanation x = explain(&in);
    cr_assert(strstr(x.text, "(436)"), "%s", x.text);
}

Test(explain, relayed_rejection_names_the_downstream_leg)
{
    sl_identity_result res;
    signed_result(&res, 1u << SL_IDR_ORIG_MISMATCH);
    sl_explain_in in = {.status = 438, .request = SL_EXPLAIN_SIGNED, .res = &res};
    sl_explanation own = explain(&in);
    in.found_on = "198.51.100.1";
    sl_explanation relayed = explain(&in);
    cr_assert_str_eq(sl_id_cause_name(relayed.cause), "orig_mismatch");
    cr_assert_eq(own.finding, relayed.finding); /* the same evidence */
    const char *text = relayed.text;
    cr_assert(strncmp(text, "Found on the downstream leg to 198.51.100.1: the PASSporT", 57) == 0,
              "%s", text);
    cr_assert_str_eq(text + 57, own.text + 12);
}

Test(explain, unsigned_forgotten_and_not_captured)
{
    sl_explain_in in = {.status = 428, .request = SL_EXPLAIN_UNSIGNED};
    cr_assert_str_eq(sl_id_cause_name(sl_explain_cause(&in)), "identity_missing");
    in.request = SL_EXPLAIN_FORGOTTEN;
    cr_assert_eq(sl_explain_cause(&in), SL_ID_CAUSE_NOT_CAPTURED);
    sl_explanation x = explain(&in);
    cr_assert_null(sl_id_cause_name(x.cause));
    cr_assert(strstr(x.text, "--max-identity-checks"));
    in.request = SL_EXPLAIN_NOT_CAPTURED;
    cr_assert_eq(sl_explain_cause(&in), SL_ID_CAUSE_NOT_CAPTURED);
    x = explain(&in);
    cr_assert(strstr(x.text, "not captured"));
}

/* Times in explanations are RFC 3339, as everywhere else in the events; an
 * iat too far off for a date stays a number. */
Test(explain, times_are_rfc3339)
{
    sl_identity_result res;
    signed_result(&res, 1u << SL_IDR_CERT_EXPIRED);
    res.pp.iat = 1772366400; /* 2026-03-01T12:00:00Z */
    sl_explain_in in = {.status = 437, .request = SL_EXPLAIN_SIGNED, .res = &res};
    sl_explanation x = explain(&in);
    cr_assert(strstr(x.text, "(iat 2026-03-01T12:00:00.000000Z)"), "%s", x.text);
    res.pp.iat = INT64_MAX;
    x = explain(&in);
    cr_assert(strstr(x.text, "(iat 9223372036854775807)"), "%s", x.text);
}
