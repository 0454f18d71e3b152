/* The summary's collection, fed typed records directly: the tee hands the
 * summary every event and the next sink only what it wants; percentiles by
 * nearest rank; failure phrases (most frequent, cut) and Q.850 causes; PDD
 * left out for answered calls without an 18x. */
#include <criterion/criterion.h>
#include <string.h>

#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/summary.h"

#define MS (SL_NS_PER_SEC / 1000)

typedef struct next_sink {
    unsigned emitted[SL_EV__COUNT];
    sl_event_mask mask;
} next_sink;

static bool next_wants(void *self, sl_event_type t)
{
    return ((next_sink *)self)->mask & (1u << t);
}

static void next_emit(void *self, const sl_event *ev)
{
    ((next_sink *)self)->emitted[ev->type]++;
}

static sl_dialog_event call(sl_dialog_state st, int status, const char *phrase, int64_t pdd_ms,
                            int64_t final_ms)
{
    sl_dialog_event d = {.head = {.type = SL_EV_DIALOG}, .state = st, .final_status = status};
    d.start = 1000 * MS;
    d.first_18x = pdd_ms < 0 ? SL_DIALOG_NO_TIME : d.start + pdd_ms * MS;
    d.final = d.start + final_ms * MS;
    d.final_reason = sl_slice_make(phrase, phrase ? strlen(phrase) : 0);
    return d;
}

Test(summary, tee_forwards_only_what_the_next_sink_wants)
{
    sl_summary *s = sl_summary_new();
    cr_assert_not_null(s);
    next_sink n = {.mask = 1u << SL_EV_DIALOG};
    sl_sink next = {.wants = next_wants, .emit = next_emit, .self = &n};
    sl_sink tee = sl_summary_tee(s, &next);
    cr_assert(sl_sink_wants(&tee, SL_EV_SIP), "the summary reads sip events");
    cr_assert(sl_sink_wants(&tee, SL_EV_DIALOG));
    cr_assert(!sl_sink_wants(&tee, SL_EV_STATS), "neither reads stats");
    sl_dialog_event d = call(SL_DIALOG_COMPLETED, 200, "OK", 100, 900);
    sl_sink_emit(&tee, &d.head);
    sl_anomaly_event a = sl_anomaly_event_make(SL_ANOM_TCP_GAP, 0, sl_slice_make(NULL, 0), NULL);
    sl_sink_emit_anomaly(&tee, &a);
    cr_assert_eq(n.emitted[SL_EV_DIALOG], 1);
    cr_assert_eq(n.emitted[SL_EV_ANOMALY], 0, "not wanted: not forwarded");
    sl_counters c = {0};
    const sl_summary_report *r = sl_summary_report_make(s, &c, NULL, NULL);
    cr_assert_eq(r->answered, 1, "the summary saw the dialog");
    sl_summary_free(s);
}

Test(summary, setup_and_pdd_by_nearest_rank)
{
    sl_summary *s = sl_summary_new();
    /* setup 100..1000 ms by 100, PDD 10..90 ms; the 10th call has no 18x */
    for (int i = 1; i <= 10; i++) {
        sl_dialog_event d = call(SL_DIALOG_COMPLETED, 200, "OK", i < 10 ? i * 10 : -1, i * 100);
        sl_summary_on_event(s, &d.head);
    }
    sl_counters c = {0};
    const sl_summary_report *r = sl_summary_report_make(s, &c, NULL, NULL);
    cr_assert_eq(r->answered, 10);
    cr_assert_eq(r->setup.n, 10);
    cr_assert_eq(r->setup.p50, 500000, "rank ceil(0.5*10) = 5: %lld", (long long)r->setup.p50);
    cr_assert_eq(r->setup.p90, 900000);
    cr_assert_eq(r->setup.p99, 1000000);
    cr_assert_eq(r->setup.max, 1000000);
    cr_assert_eq(r->no_18x, 1);
    cr_assert_eq(r->pdd.n, 9);
    cr_assert_eq(r->pdd.p50, 50000, "rank ceil(0.5*9) = 5");
    cr_assert_eq(r->pdd.p90, 90000, "rank ceil(0.9*9) = 9");
    cr_assert_eq(sl_summary_report_make(s, &c, NULL, NULL), r, "made once");
    sl_summary_free(s);
}

Test(summary, failure_phrases_and_causes)
{
    sl_summary *s = sl_summary_new();
    const char *longp = "A phrase much longer than the thirty-two bytes kept";
    const struct {
        int code;
        const char *phrase;
        int cause;
    } calls[] = {{503, "Overloaded", 34}, {503, "Overloaded", 0}, {503, "Service Unavailable", 0},
                 {486, "Busy Here", 17},  {486, "Busy Here", 17}, {486, "Busy Here", 0},
                 {486, NULL, 21},         {480, longp, 0},        {487, "Request Terminated", 0}};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        sl_dialog_event d = call(calls[i].code == 487 ? SL_DIALOG_CANCELLED : SL_DIALOG_FAILED,
                                 calls[i].code, calls[i].phrase, -1, 500);
        if (d.final_reason.len > SL_DIALOG_REASON_KEPT)
            d.final_reason.len = SL_DIALOG_REASON_KEPT; /* as the tracker cuts it */
        if (calls[i].cause) {
            d.has_end_reason = d.end_has_cause = true;
            d.end_protocol = SL_REASON_Q850;
            d.end_cause = (uint16_t)calls[i].cause;
        }
        sl_summary_on_event(s, &d.head);
    }
    sl_counters c = {0};
    const sl_summary_report *r = sl_summary_report_make(s, &c, NULL, NULL);
    cr_assert_eq(r->n_failures, 3, "487 is a cancelled attempt, not a failure");
    cr_assert_eq(r->failures[0].code, 486);
    cr_assert_eq(r->failures[0].count, 4);
    cr_assert_str_eq(r->failures[0].phrase, "Busy Here");
    cr_assert_eq(r->failures[0].n_causes, 2);
    cr_assert_eq(r->failures[0].causes[0].code, 17);
    cr_assert_eq(r->failures[0].causes[0].count, 2);
    cr_assert_eq(r->failures[0].causes[1].code, 21);
    cr_assert_eq(r->failures[0].no_cause, 1);
    cr_assert_eq(r->failures[1].code, 503);
    cr_assert_str_eq(r->failures[1].phrase, "Overloaded", "the most frequent phrase");
    cr_assert_eq(r->failures[2].code, 480);
    cr_assert_eq(strlen(r->failures[2].phrase), SL_DIALOG_REASON_KEPT);
    cr_assert_eq(strncmp(r->failures[2].phrase, longp, SL_DIALOG_REASON_KEPT), 0);
    sl_summary_free(s);
}
