/* The Reason header (RFC 3326) and the Q.850 cause names. */
#include <criterion/criterion.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/sip_reason.h"

#define assert_slice(s, str)                                                                       \
    cr_assert(sl_slice_eq((s), (str)), "got \"%.*s\", want \"%s\"", (int)(s).len,                  \
              (const char *)(s).ptr, (str))

/* Parses value from a guarded copy (a read past its end faults) into out[]. */
static size_t parse(sl_guarded *g, const char *value, sl_sip_reason *out, size_t max)
{
    sl_slice rest = sl_slice_make(sl_guard(g, value, strlen(value)), strlen(value));
    size_t n = 0;
    while (n < max && sl_sip_reason_next(&rest, &out[n]))
        n++;
    return n;
}

Test(sip_reason, q850_with_text)
{
    sl_guarded g;
    sl_sip_reason r[4];
    cr_assert_eq(parse(&g, "Q.850;cause=16;text=\"Terminated\"", r, 4), 1);
    cr_assert_eq(r[0].protocol, SL_REASON_Q850);
    cr_assert(r[0].has_cause);
    cr_assert_eq(r[0].cause, 16);
    assert_slice(r[0].text, "Terminated");
    sl_guard_free(&g);
}

/* As a real gateway writes it (FAX-Call-t38-CA-TDM-SIP-FB-1.pcap), and in
 * lower case (aaa.pcap). */
Test(sip_reason, spaces_and_case)
{
    sl_guarded g;
    sl_sip_reason r[4];
    cr_assert_eq(parse(&g, "Q.850 ;cause=16 ;text=\"3\"", r, 4), 1);
    cr_assert_eq(r[0].protocol, SL_REASON_Q850);
    cr_assert_eq(r[0].cause, 16);
    assert_slice(r[0].text, "3");
    sl_guard_free(&g);
    cr_assert_eq(parse(&g, "q.850;cause=21", r, 4), 1);
    cr_assert_eq(r[0].protocol, SL_REASON_Q850);
    assert_slice(r[0].protocol_text, "q.850");
    cr_assert_eq(r[0].cause, 21);
    cr_assert_eq(r[0].text.len, 0);
    sl_guard_free(&g);
}

Test(sip_reason, several_values_and_quoted_commas)
{
    sl_guarded g;
    sl_sip_reason r[4];
    cr_assert_eq(
        parse(&g, "SIP;cause=200;text=\"Call completed, elsewhere\", Q.850;cause=16", r, 4), 2);
    cr_assert_eq(r[0].protocol, SL_REASON_SIP);
    cr_assert_eq(r[0].cause, 200);
    assert_slice(r[0].text, "Call completed, elsewhere");
    cr_assert_eq(r[1].protocol, SL_REASON_Q850);
    cr_assert_eq(r[1].cause, 16);
    sl_guard_free(&g);
}

Test(sip_reason, unknown_protocol_bad_cause_and_no_protocol)
{
    sl_guarded g;
    sl_sip_reason r[4];
    cr_assert_eq(parse(&g, "X-Carrier;cause=7", r, 4), 1);
    cr_assert_eq(r[0].protocol, SL_REASON_OTHER);
    assert_slice(r[0].protocol_text, "X-Carrier");
    cr_assert_eq(r[0].cause, 7);
    sl_guard_free(&g);
    cr_assert_eq(parse(&g, "SIP;cause=99999", r, 4), 1); /* not a 16-bit number */
    cr_assert_not(r[0].has_cause);
    sl_guard_free(&g);
    cr_assert_eq(parse(&g, "SIP;cause=abc", r, 4), 1);
    cr_assert_not(r[0].has_cause);
    sl_guard_free(&g);
    cr_assert_eq(parse(&g, ";cause=1, , Q.850", r, 4), 1); /* the value without one is skipped */
    cr_assert_eq(r[0].protocol, SL_REASON_Q850);
    cr_assert_not(r[0].has_cause);
    sl_guard_free(&g);
    cr_assert_eq(parse(&g, "", r, 4), 0);
    sl_guard_free(&g);
}

/* Every prefix of a value parses within its bounds (guarded). */
Test(sip_reason, every_prefix)
{
    static const char v[] = "SIP ;cause=487;text=\"Req\\\"uest, Terminated\",Q.850;cause=31";
    for (size_t k = 0; k <= sizeof v - 1; k++) {
        sl_guarded g;
        sl_slice rest = sl_slice_make(sl_guard(&g, v, k), k);
        sl_sip_reason r;
        size_t n = 0;
        while (sl_sip_reason_next(&rest, &r)) {
            cr_assert(r.protocol_text.len > 0);
            cr_assert(n++ < k);
        }
        sl_guard_free(&g);
    }
}

Test(sip_reason, q850_names)
{
    cr_assert_str_eq(sl_q850_cause_name(16), "normal_call_clearing");
    cr_assert_str_eq(sl_q850_cause_name(17), "user_busy");
    cr_assert_str_eq(sl_q850_cause_name(34), "no_circuit_available");
    cr_assert_str_eq(sl_q850_cause_name(1), "unallocated_number");
    cr_assert_str_eq(sl_q850_cause_name(127), "interworking_unspecified");
    cr_assert_null(sl_q850_cause_name(0));
    cr_assert_null(sl_q850_cause_name(15)); /* not assigned */
    cr_assert_null(sl_q850_cause_name(128));
    cr_assert_null(sl_q850_cause_name(65535));
}
