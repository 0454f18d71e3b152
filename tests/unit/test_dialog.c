/* The dialog tracker, driven with real SIP text (parsed by the dissector)
 * and checked on the NDJSON it writes: outcomes, timings, retransmissions,
 * forking, legs, timers, eviction, and the non-INVITE counters. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipsleuth/dialog.h"
#include "sipsleuth/output.h"
#include "sipsleuth/stats_event.h"
#include "sipsleuth/transaction.h"

#define BASE_S INT64_C(1772359200) /* 2026-03-01T10:00:00Z */
#define MAXH 64

typedef struct tracker {
    sl_dialogs *d;
    sl_output *out;
    sl_sink sink;
    char path[64];
    json_t *events; /* after done(): every event written, in order */
} tracker;

/* One leg of a call: caller A and callee B (or the next hop). */
typedef struct leg {
    const char *call_id;
    const char *a_ip, *b_ip;
    uint16_t a_port, b_port;
    uint8_t proto;
} leg;

/* Capture time s seconds after BASE_S (rounded to the nanosecond). */
static sl_time at(double s)
{
    return BASE_S * SL_NS_PER_SEC + (sl_time)(s * 1e9 + 0.5);
}

static void start(tracker *t, const sl_dialog_config *cfg)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "/tmp/test_dialog.XXXXXX");
    int fd = mkstemp(t->path);
    cr_assert(fd >= 0);
    close(fd);
    t->out = sl_output_open(t->path, SL_EV_ALL);
    cr_assert(t->out);
    sl_dialog_config c;
    sl_dialog_config_default(&c);
    if (cfg)
        c = *cfg;
    c.hash_seed = 42;
    t->sink = sl_output_sink(t->out);
    t->d = sl_dialogs_new(&c, &t->sink);
    cr_assert(t->d);
}

/* Finishes at time `end_s` and reads every event back. */
static void done(tracker *t, double end_s)
{
    sl_dialogs_finish(t->d, at(end_s));
    /* a stats event with the tracker's counters (the others zero) */
    static sl_counters counters;
    sl_stats_event st = {.head = {.type = SL_EV_STATS, .ts = at(end_s)}, .counters = &counters};
    sl_dialogs_get_stats(t->d, &st.dialogs);
    sl_sink_emit(&t->sink, &st.head);
    sl_dialogs_free(t->d);
    cr_assert(sl_output_close(t->out));
    FILE *f = fopen(t->path, "r");
    cr_assert(f);
    t->events = json_array();
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *ev = json_loads(line, 0, &err);
        cr_assert(ev, "bad JSON line: %s (%s)", line, err.text);
        json_array_append_new(t->events, ev);
    }
    fclose(f);
    unlink(t->path);
}

static void finish_tracker(tracker *t)
{
    json_decref(t->events);
}

static sl_addr addr(const char *ip)
{
    sl_addr a;
    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, ip, a.bytes) == 1)
        a.family = 4;
    else {
        cr_assert(inet_pton(AF_INET6, ip, a.bytes) == 1);
        a.family = 6;
    }
    return a;
}

/* Parses `text` (lines ending in \n, made \r\n here) followed by `body`
 * (NULL: none), sends it at time s on the leg (rev: from B to A) and returns
 * the retransmission flag. */
static bool sendmsg_body_at(tracker *t, const leg *l, double s, bool rev, const char *text,
                            const char *body)
{
    static char buf[4096];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
        cr_assert(n < sizeof buf - 2);
    }
    size_t blen = body ? strlen(body) : 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "Content-Length: %zu\r\n\r\n%s", blen,
                          body ? body : "");
    cr_assert(n < sizeof buf);
    sl_sip_header hdrs[MAXH];
    sl_sip_msg msg = {.headers = hdrs, .max_headers = MAXH};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sip_parse((const uint8_t *)buf, n, SL_SIP_DATAGRAM, &msg, &an), SL_OK,
                 "parse failed (%s): %s", an.kind ? sl_anomaly_name(an.kind) : "?", buf);
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = addr(rev ? l->b_ip : l->a_ip);
    f.dst = addr(rev ? l->a_ip : l->b_ip);
    f.sport = rev ? l->b_port : l->a_port;
    f.dport = rev ? l->a_port : l->b_port;
    f.proto = l->proto ? l->proto : SL_IPPROTO_UDP;
    sl_sip_ctx ctx;
    sl_sip_ctx_init(&ctx, &msg, at(s), &f);
    ctx.raw = sl_slice_make(buf, n);
    sl_sdp sdp;
    sl_sip_ctx_media(&ctx, &sdp, NULL); /* a body with Content-Type application/sdp */
    sl_dialogs_advance(t->d, ctx.ts);
    sl_txn_verdict v;
    sl_dialogs_on_message(t->d, &ctx, &v);
    return v.retransmission;
}

static bool sendmsg_at(tracker *t, const leg *l, double s, bool rev, const char *text)
{
    return sendmsg_body_at(t, l, s, rev, text, NULL);
}

/* Message builders. Requests from A carry Via A; responses to them too. */
static char mbuf[2048];

static const char *req(const leg *l, const char *method, const char *via_host, const char *branch,
                       const char *from, const char *to, unsigned cseq)
{
    snprintf(mbuf, sizeof mbuf,
             "%s sip:bob@b.example SIP/2.0\nVia: SIP/2.0/UDP %s:5060;branch=%s\n"
             "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u %s\n",
             method, via_host, branch, from, to, l->call_id, cseq, method);
    return mbuf;
}

static const char *resp(const leg *l, int status, const char *via_host, const char *branch,
                        const char *from, const char *to, unsigned cseq, const char *method)
{
    snprintf(mbuf, sizeof mbuf,
             "SIP/2.0 %d Whatever\nVia: SIP/2.0/UDP %s:5060;branch=%s\n"
             "From: %s\nTo: %s\nCall-ID: %s\nCSeq: %u %s\n",
             status, via_host, branch, from, to, l->call_id, cseq, method);
    return mbuf;
}

#define ALICE "<sip:alice@a.example>;tag=fa"
#define ALICE_NT "<sip:alice@a.example>"
#define BOB "<sip:bob@b.example>"
#define BOB_T "<sip:bob@b.example>;tag=tb"
#define BOB_T2 "<sip:bob@b.example>;tag=tb2"

/* Events of one type, in order. */
static json_t *events_of(tracker *t, const char *type)
{
    json_t *arr = json_array(), *ev;
    size_t i;
    json_array_foreach(t->events, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), type) == 0)
            json_array_append(arr, ev);
    }
    return arr;
}

static json_t *det(json_t *ev, const char *type)
{
    return json_object_get(ev, type);
}

static void expect_str(json_t *o, const char *k, const char *want)
{
    json_t *v = json_object_get(o, k);
    if (!want) {
        cr_assert(json_is_null(v), "%s: want null", k);
        return;
    }
    cr_assert(json_is_string(v), "%s: not a string", k);
    cr_assert_str_eq(json_string_value(v), want, "%s", k);
}

static void expect_int(json_t *o, const char *k, long long want)
{
    json_t *v = json_object_get(o, k);
    cr_assert(json_is_integer(v), "%s: not an integer", k);
    cr_assert_eq(json_integer_value(v), want, "%s: got %lld, want %lld", k,
                 (long long)json_integer_value(v), want);
}

static void expect_null(json_t *o, const char *k)
{
    cr_assert(json_is_null(json_object_get(o, k)), "%s: want null", k);
}

static void expect_ms(json_t *o, const char *k, double want)
{
    json_t *v = json_object_get(o, k);
    cr_assert(json_is_number(v), "%s: not a number", k);
    double diff = json_number_value(v) - want;
    cr_assert(diff < 0.05 && diff > -0.05, "%s: got %f, want %f", k, json_number_value(v), want);
}

static void expect_time(json_t *ev, const char *want)
{
    expect_str(ev, "timestamp", want);
}

static const leg L1 = {"call-1@a.example", "192.0.2.10", "198.51.100.7", 5060, 5060, 0};

/* INVITE / 100 / 180 / 200 / ACK from A, then BYE from `bye_rev` side. */
static void basic_call(tracker *t, const leg *l, bool callee_hangs_up)
{
    cr_assert(
        !sendmsg_at(t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1)));
    cr_assert(!sendmsg_at(t, l, 0.05, true,
                          resp(l, 100, "a.example", "z9hG4bK1", ALICE, BOB, 1, "INVITE")));
    cr_assert(!sendmsg_at(t, l, 0.5, true,
                          resp(l, 180, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE")));
    cr_assert(!sendmsg_at(t, l, 3.0, true,
                          resp(l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE")));
    cr_assert(
        !sendmsg_at(t, l, 3.05, false, req(l, "ACK", "a.example", "z9hG4bK2", ALICE, BOB_T, 1)));
    if (callee_hangs_up) {
        cr_assert(!sendmsg_at(t, l, 63.05, true,
                              req(l, "BYE", "b.example", "z9hG4bKb1", BOB_T, ALICE, 1)));
        cr_assert(!sendmsg_at(t, l, 63.1, false,
                              resp(l, 200, "b.example", "z9hG4bKb1", BOB_T, ALICE, 1, "BYE")));
    } else {
        cr_assert(!sendmsg_at(t, l, 63.05, false,
                              req(l, "BYE", "a.example", "z9hG4bK3", ALICE, BOB_T, 2)));
        cr_assert(!sendmsg_at(t, l, 63.1, true,
                              resp(l, 200, "a.example", "z9hG4bK3", ALICE, BOB_T, 2, "BYE")));
    }
}

static json_t *only_dialog(tracker *t)
{
    json_t *d = events_of(t, "dialog");
    cr_assert_eq(json_array_size(d), 1, "want one dialog event, got %zu", json_array_size(d));
    json_t *ev = json_incref(json_array_get(d, 0));
    json_decref(d);
    return ev;
}

Test(dialog, completed_caller_hangs_up)
{
    tracker t;
    start(&t, NULL);
    basic_call(&t, &L1, false);
    done(&t, 70);
    json_t *ev = only_dialog(&t);
    expect_time(ev, "2026-03-01T10:01:03.050000Z");
    expect_str(ev, "call_id", "call-1@a.example");
    expect_str(ev, "src_ip", "192.0.2.10");
    expect_str(ev, "dest_ip", "198.51.100.7");
    expect_str(ev, "proto", "UDP");
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "completed");
    expect_int(d, "status_code", 200);
    expect_str(d, "from", "sip:alice@a.example");
    expect_str(d, "to", "sip:bob@b.example");
    expect_str(d, "request_uri", "sip:bob@b.example");
    expect_str(d, "start", "2026-03-01T10:00:00.000000Z");
    expect_ms(d, "setup_ms", 3000.0);
    expect_ms(d, "pdd_ms", 500.0);
    expect_ms(d, "duration_ms", 60050.0);
    expect_str(d, "ended_by", "caller");
    expect_int(d, "messages", 6);
    expect_int(d, "retransmissions", 0);
    expect_int(d, "early_dialogs", 1);
    expect_str(d, "to_tag", "tb");
    expect_str(d, "closed", "message");
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, completed_callee_hangs_up_over_tcp)
{
    tracker t;
    start(&t, NULL);
    leg l = L1;
    l.proto = SL_IPPROTO_TCP;
    l.a_port = 40123;
    basic_call(&t, &l, true);
    done(&t, 70);
    json_t *ev = only_dialog(&t);
    expect_str(ev, "proto", "TCP");
    expect_int(ev, "src_port", 40123);
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "completed");
    expect_str(d, "ended_by", "callee");
    expect_ms(d, "duration_ms", 60050.0);
    json_decref(ev);
    finish_tracker(&t);
}

static void failed_call(int status, const char *state)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 0.02, true, resp(l, 100, "a.example", "z9hG4bK1", ALICE, BOB, 1, "INVITE"));
    sendmsg_at(&t, l, 1.5, true,
               resp(l, status, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    /* the ACK for a non-2xx final has the INVITE's branch */
    cr_assert(
        !sendmsg_at(&t, l, 1.52, false, req(l, "ACK", "a.example", "z9hG4bK1", ALICE, BOB_T, 1)));
    /* the final is retransmitted (the ACK was lost): both flagged */
    cr_assert(sendmsg_at(&t, l, 2.0, true,
                         resp(l, status, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE")));
    cr_assert(
        sendmsg_at(&t, l, 2.02, false, req(l, "ACK", "a.example", "z9hG4bK1", ALICE, BOB_T, 1)));
    done(&t, 10);
    json_t *ev = only_dialog(&t);
    expect_time(ev, "2026-03-01T10:00:01.500000Z");
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", state);
    expect_int(d, "status_code", status);
    expect_null(d, "setup_ms"); /* only answered calls have a setup time */
    expect_ms(d, "final_ms", 1500.0);
    expect_null(d, "pdd_ms");
    expect_null(d, "duration_ms");
    expect_null(d, "ended_by");
    expect_int(d, "messages", 3);
    expect_int(d, "retransmissions", 0);
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, busy)
{
    failed_call(486, "failed");
}
Test(dialog, not_found)
{
    failed_call(404, "failed");
}
Test(dialog, server_error)
{
    failed_call(503, "failed");
}

Test(dialog, cancelled)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 0.1, true, resp(l, 180, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    cr_assert(
        !sendmsg_at(&t, l, 5.0, false, req(l, "CANCEL", "a.example", "z9hG4bK1", ALICE, BOB, 1)));
    cr_assert(!sendmsg_at(&t, l, 5.01, true,
                          resp(l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "CANCEL")));
    cr_assert(!sendmsg_at(&t, l, 5.02, true,
                          resp(l, 487, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE")));
    sendmsg_at(&t, l, 5.03, false, req(l, "ACK", "a.example", "z9hG4bK1", ALICE, BOB_T, 1));
    done(&t, 10);
    json_t *ev = only_dialog(&t);
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "cancelled");
    expect_int(d, "status_code", 487);
    expect_null(d, "setup_ms");
    expect_ms(d, "final_ms", 5020.0);
    expect_ms(d, "pdd_ms", 100.0);
    expect_int(d, "messages", 5);
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, cancel_without_final_is_cancelled_at_end_of_input)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 2.0, false, req(l, "CANCEL", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    done(&t, 3);
    json_t *ev = only_dialog(&t);
    expect_time(ev, "2026-03-01T10:00:03.000000Z");
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "cancelled");
    expect_null(d, "status_code");
    expect_null(d, "setup_ms");
    expect_str(d, "closed", "end_of_input");
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, invite_retransmissions_then_timeout)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    const char *inv = "z9hG4bKr";
    cr_assert(!sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", inv, ALICE, BOB, 1)));
    cr_assert(sendmsg_at(&t, l, 0.5, false, req(l, "INVITE", "a.example", inv, ALICE, BOB, 1)));
    cr_assert(sendmsg_at(&t, l, 1.5, false, req(l, "INVITE", "a.example", inv, ALICE, BOB, 1)));
    cr_assert(sendmsg_at(&t, l, 3.5, false, req(l, "INVITE", "a.example", inv, ALICE, BOB, 1)));
    /* capture time moves on: Timer B (32 s after the first INVITE) fires */
    sl_dialogs_advance(t.d, at(31.9));
    cr_assert_eq(sl_dialogs_active(t.d), 1);
    sl_dialogs_advance(t.d, at(40));
    cr_assert_eq(sl_dialogs_active(t.d), 0);
    done(&t, 50);
    json_t *ev = only_dialog(&t);
    expect_time(ev, "2026-03-01T10:00:32.000000Z");
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "timeout");
    expect_null(d, "status_code");
    expect_null(d, "setup_ms");
    expect_int(d, "messages", 4);
    expect_int(d, "retransmissions", 3);
    expect_str(d, "closed", "timer");
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, trying_only_then_timeout)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 0.2, true, resp(l, 100, "a.example", "z9hG4bK1", ALICE, BOB, 1, "INVITE"));
    sl_dialogs_advance(t.d, at(100)); /* past Timer B: a provisional stopped it */
    cr_assert_eq(sl_dialogs_active(t.d), 1);
    sl_dialogs_advance(t.d, at(500)); /* proceeding_timeout: 180 s after the 100 */
    done(&t, 501);
    json_t *ev = only_dialog(&t);
    expect_time(ev, "2026-03-01T10:03:00.200000Z");
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "timeout");
    expect_int(d, "messages", 2);
    expect_int(d, "early_dialogs", 0);
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, forked_early_dialogs)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 0.3, true, resp(l, 180, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    cr_assert(!sendmsg_at(&t, l, 0.4, true,
                          resp(l, 180, "a.example", "z9hG4bK1", ALICE, BOB_T2, 1, "INVITE")));
    /* a repeated 180 of the first fork is a retransmission */
    cr_assert(sendmsg_at(&t, l, 0.8, true,
                         resp(l, 180, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE")));
    sendmsg_at(&t, l, 2.0, true, resp(l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T2, 1, "INVITE"));
    sendmsg_at(&t, l, 2.1, false, req(l, "ACK", "a.example", "z9hG4bK2", ALICE, BOB_T2, 1));
    /* a BYE on the losing fork's dialog does not end the call */
    sendmsg_at(&t, l, 5.0, false, req(l, "BYE", "a.example", "z9hG4bK3", ALICE, BOB_T, 2));
    cr_assert_eq(sl_dialogs_active(t.d), 1);
    sendmsg_at(&t, l, 12.0, true, req(l, "BYE", "b.example", "z9hG4bKb", BOB_T2, ALICE, 1));
    done(&t, 20);
    json_t *ev = only_dialog(&t);
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "completed");
    expect_int(d, "early_dialogs", 2);
    expect_str(d, "to_tag", "tb2");
    expect_str(d, "ended_by", "callee");
    expect_ms(d, "pdd_ms", 300.0);
    expect_ms(d, "duration_ms", 10000.0);
    expect_int(d, "messages", 8);
    expect_int(d, "retransmissions", 1);
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, reinvite_is_not_a_new_call)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 1.0, true, resp(l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, l, 1.1, false, req(l, "ACK", "a.example", "z9hG4bK2", ALICE, BOB_T, 1));
    /* re-INVITE from the callee, refused with 491: the call goes on */
    sendmsg_at(&t, l, 10.0, true, req(l, "INVITE", "b.example", "z9hG4bKb1", BOB_T, ALICE, 1));
    sendmsg_at(&t, l, 10.1, false,
               resp(l, 491, "b.example", "z9hG4bKb1", BOB_T, ALICE, 1, "INVITE"));
    sendmsg_at(&t, l, 10.2, true, req(l, "ACK", "b.example", "z9hG4bKb1", BOB_T, ALICE, 1));
    sendmsg_at(&t, l, 11.0, false, req(l, "UPDATE", "a.example", "z9hG4bK4", ALICE, BOB_T, 2));
    sendmsg_at(&t, l, 11.1, true, resp(l, 200, "a.example", "z9hG4bK4", ALICE, BOB_T, 2, "UPDATE"));
    sendmsg_at(&t, l, 12.0, false, req(l, "INFO", "a.example", "z9hG4bK5", ALICE, BOB_T, 3));
    sendmsg_at(&t, l, 20.0, false, req(l, "BYE", "a.example", "z9hG4bK6", ALICE, BOB_T, 4));
    done(&t, 30);
    json_t *ev = only_dialog(&t);
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "completed");
    expect_int(d, "reinvites", 1);
    expect_int(d, "messages", 10);
    expect_ms(d, "duration_ms", 19000.0);
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, redirect_then_new_invite_same_call_id)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 0.1, true, resp(l, 302, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, l, 0.11, false, req(l, "ACK", "a.example", "z9hG4bK1", ALICE, BOB_T, 1));
    sendmsg_at(&t, l, 0.2, false, req(l, "INVITE", "a.example", "z9hG4bK2", ALICE, BOB, 2));
    sendmsg_at(&t, l, 1.2, true, resp(l, 200, "a.example", "z9hG4bK2", ALICE, BOB_T2, 2, "INVITE"));
    sendmsg_at(&t, l, 1.3, false, req(l, "ACK", "a.example", "z9hG4bK3", ALICE, BOB_T2, 2));
    done(&t, 5);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 2);
    json_t *d0 = det(json_array_get(ds, 0), "dialog"), *d1 = det(json_array_get(ds, 1), "dialog");
    expect_str(d0, "state", "redirected");
    expect_int(d0, "status_code", 302);
    expect_int(d0, "attempt", 1);
    expect_str(d1, "state", "answered");
    expect_int(d1, "status_code", 200);
    expect_str(d1, "start", "2026-03-01T10:00:00.200000Z");
    expect_ms(d1, "setup_ms", 1000.0);
    expect_null(d1, "duration_ms");
    expect_int(d1, "attempt", 2);
    expect_int(d1, "leg", 0);
    expect_int(d1, "messages", 3);
    expect_str(d1, "closed", "end_of_input");
    json_decref(ds);
    finish_tracker(&t);
}

/* A -> P -> B: the proxy keeps the Call-ID and adds its Via. */
Test(dialog, call_through_a_proxy_is_tracked_per_leg)
{
    tracker t;
    start(&t, NULL);
    const leg a = {"px-1@a.example", "192.0.2.10", "203.0.113.1", 5060, 5060, 0};
    const leg b = {"px-1@a.example", "203.0.113.1", "198.51.100.7", 5060, 5060, 0};
    sendmsg_at(&t, &a, 0.0, false, req(&a, "INVITE", "a.example", "z9hG4bKa1", ALICE, BOB, 1));
    sendmsg_at(&t, &a, 0.01, true,
               resp(&a, 100, "a.example", "z9hG4bKa1", ALICE, BOB, 1, "INVITE"));
    sendmsg_at(&t, &b, 0.02, false, req(&b, "INVITE", "p.example", "z9hG4bKp1", ALICE, BOB, 1));
    /* the INVITE is retransmitted on the second leg only */
    cr_assert(sendmsg_at(&t, &b, 0.52, false,
                         req(&b, "INVITE", "p.example", "z9hG4bKp1", ALICE, BOB, 1)));
    sendmsg_at(&t, &b, 0.6, true,
               resp(&b, 180, "p.example", "z9hG4bKp1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, &a, 0.61, true,
               resp(&a, 180, "a.example", "z9hG4bKa1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, &b, 4.0, true,
               resp(&b, 200, "p.example", "z9hG4bKp1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, &a, 4.01, true,
               resp(&a, 200, "a.example", "z9hG4bKa1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, &a, 4.05, false, req(&a, "ACK", "a.example", "z9hG4bKa2", ALICE, BOB_T, 1));
    sendmsg_at(&t, &b, 4.06, false, req(&b, "ACK", "p.example", "z9hG4bKp2", ALICE, BOB_T, 1));
    sendmsg_at(&t, &b, 30.0, true, req(&b, "BYE", "b.example", "z9hG4bKb1", BOB_T, ALICE, 1));
    sendmsg_at(&t, &a, 30.01, true, req(&a, "BYE", "p.example", "z9hG4bKp3", BOB_T, ALICE, 1));
    done(&t, 40);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 2);
    json_t *eb = json_array_get(ds, 0), *ea = json_array_get(ds, 1);
    expect_str(eb, "src_ip", "203.0.113.1");
    expect_str(ea, "src_ip", "192.0.2.10");
    expect_str(ea, "call_id", "px-1@a.example");
    expect_str(eb, "call_id", "px-1@a.example");
    json_t *da = det(ea, "dialog"), *db = det(eb, "dialog");
    expect_int(da, "leg", 0);
    expect_int(db, "leg", 1);
    expect_str(da, "state", "completed");
    expect_str(db, "state", "completed");
    expect_ms(da, "setup_ms", 4010.0);
    expect_ms(db, "setup_ms", 3980.0);
    expect_ms(da, "pdd_ms", 610.0);
    expect_ms(db, "pdd_ms", 580.0);
    expect_int(da, "retransmissions", 0);
    expect_int(db, "retransmissions", 1);
    expect_str(da, "ended_by", "callee");
    expect_str(db, "ended_by", "callee");
    json_decref(ds);
    finish_tracker(&t);
}

/* A proxy that did not Record-Route: the BYE goes from A straight to B and
 * ends the call on both legs. */
Test(dialog, bye_bypassing_the_proxy_ends_every_leg)
{
    tracker t;
    start(&t, NULL);
    const leg a = {"px-2@a.example", "192.0.2.10", "203.0.113.1", 5060, 5060, 0};
    const leg b = {"px-2@a.example", "203.0.113.1", "198.51.100.7", 5060, 5060, 0};
    const leg ab = {"px-2@a.example", "192.0.2.10", "198.51.100.7", 5060, 5060, 0};
    sendmsg_at(&t, &a, 0.0, false, req(&a, "INVITE", "a.example", "z9hG4bKa1", ALICE, BOB, 1));
    sendmsg_at(&t, &b, 0.02, false, req(&b, "INVITE", "p.example", "z9hG4bKp1", ALICE, BOB, 1));
    sendmsg_at(&t, &b, 1.0, true,
               resp(&b, 200, "p.example", "z9hG4bKp1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, &a, 1.01, true,
               resp(&a, 200, "a.example", "z9hG4bKa1", ALICE, BOB_T, 1, "INVITE"));
    cr_assert(!sendmsg_at(&t, &ab, 9.0, false,
                          req(&ab, "BYE", "a.example", "z9hG4bKa3", ALICE, BOB_T, 2)));
    cr_assert(sendmsg_at(&t, &ab, 9.5, false,
                         req(&ab, "BYE", "a.example", "z9hG4bKa3", ALICE, BOB_T, 2)));
    done(&t, 20);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *d = det(json_array_get(ds, i), "dialog");
        expect_str(d, "state", "completed");
        expect_str(d, "ended_by", "caller");
    }
    json_decref(ds);
    finish_tracker(&t);
}

Test(dialog, rfc2543_matching_without_the_cookie)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    cr_assert(!sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "old1", ALICE, BOB, 7)));
    cr_assert(sendmsg_at(&t, l, 0.5, false, req(l, "INVITE", "a.example", "old1", ALICE, BOB, 7)));
    cr_assert(!sendmsg_at(&t, l, 0.6, true,
                          resp(l, 404, "a.example", "old1", ALICE, BOB_T, 7, "INVITE")));
    cr_assert(!sendmsg_at(&t, l, 0.7, false, req(l, "ACK", "a.example", "old1", ALICE, BOB_T, 7)));
    /* a new CSeq with the same (non-cookie) branch is a new attempt */
    cr_assert(!sendmsg_at(&t, l, 1.0, false, req(l, "INVITE", "a.example", "old1", ALICE, BOB, 8)));
    done(&t, 2);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 2);
    json_t *d0 = det(json_array_get(ds, 0), "dialog");
    expect_str(d0, "state", "failed");
    expect_int(d0, "status_code", 404);
    expect_int(d0, "retransmissions", 1);
    /* still open when the input ended, 1 s later: not a timeout */
    expect_str(det(json_array_get(ds, 1), "dialog"), "state", "unfinished");
    json_decref(ds);
    finish_tracker(&t);
}

Test(dialog, answered_without_bye_times_out_idle)
{
    sl_dialog_config cfg;
    sl_dialog_config_default(&cfg);
    cfg.idle_timeout = 600 * SL_NS_PER_SEC;
    tracker t;
    start(&t, &cfg);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 1.0, true, resp(l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, l, 1.1, false, req(l, "ACK", "a.example", "z9hG4bK2", ALICE, BOB_T, 1));
    sl_dialogs_advance(t.d, at(700));
    done(&t, 800);
    json_t *ev = only_dialog(&t);
    expect_time(ev, "2026-03-01T10:10:01.100000Z");
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "answered");
    expect_null(d, "duration_ms");
    expect_null(d, "ended_by");
    expect_str(d, "closed", "timer");
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, non_invite_transactions_are_counted_not_dialogs)
{
    tracker t;
    start(&t, NULL);
    const leg r = {"reg-1@a.example", "192.0.2.10", "198.51.100.9", 5060, 5060, 0};
    sendmsg_at(&t, &r, 0.0, false,
               req(&r, "REGISTER", "a.example", "z9hG4bKr1", ALICE, ALICE_NT, 1));
    cr_assert(sendmsg_at(&t, &r, 0.5, false,
                         req(&r, "REGISTER", "a.example", "z9hG4bKr1", ALICE, ALICE_NT, 1)));
    sendmsg_at(&t, &r, 0.6, true,
               resp(&r, 401, "a.example", "z9hG4bKr1", ALICE, ALICE, 1, "REGISTER"));
    cr_assert(sendmsg_at(&t, &r, 0.7, true,
                         resp(&r, 401, "a.example", "z9hG4bKr1", ALICE, ALICE, 1, "REGISTER")));
    sendmsg_at(&t, &r, 1.0, false,
               req(&r, "REGISTER", "a.example", "z9hG4bKr2", ALICE, ALICE_NT, 2));
    sendmsg_at(&t, &r, 1.1, true,
               resp(&r, 200, "a.example", "z9hG4bKr2", ALICE, ALICE, 2, "REGISTER"));
    sendmsg_at(&t, &r, 2.0, false, req(&r, "OPTIONS", "a.example", "z9hG4bKo1", ALICE, BOB, 3));
    /* a response whose request was not seen */
    sendmsg_at(&t, &r, 3.0, true,
               resp(&r, 200, "a.example", "z9hG4bKzz", ALICE, BOB, 9, "MESSAGE"));
    done(&t, 5);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 0);
    json_decref(ds);
    json_t *st = json_object_get(json_array_get(t.events, json_array_size(t.events) - 1), "stats");
    json_t *reg = json_object_get(json_object_get(json_object_get(st, "transactions"), "by_method"),
                                  "REGISTER");
    cr_assert(reg);
    expect_int(reg, "requests", 2);
    expect_int(reg, "retransmissions", 2);
    expect_int(reg, "unanswered", 0);
    json_t *fin = json_object_get(reg, "final");
    expect_int(fin, "401", 1);
    expect_int(fin, "200", 1);
    json_t *opt = json_object_get(json_object_get(json_object_get(st, "transactions"), "by_method"),
                                  "OPTIONS");
    expect_int(opt, "requests", 1);
    expect_int(opt, "unanswered", 1);
    expect_int(json_object_get(st, "transactions"), "unmatched_responses", 1);
    expect_int(json_object_get(st, "dialogs"), "created", 0);
    finish_tracker(&t);
}

static int hook_calls;
static void on_end(void *user, const sl_dialog_event *s)
{
    (void)user;
    hook_calls++;
    cr_assert(sl_slice_eq(s->request_uri, "sip:bob@b.example"));
}

Test(dialog, request_uri_of_a_redirected_request)
{
    sl_dialog_config cfg;
    sl_dialog_config_default(&cfg);
    cfg.on_end = on_end;
    tracker t;
    start(&t, &cfg);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    /* the verdict on the 301 names the request it answers */
    static char buf[1024];
    const char *text = resp(l, 301, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE");
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n, "Content-Length: 0\r\n\r\n");
    sl_sip_header hdrs[MAXH];
    sl_sip_msg msg = {.headers = hdrs, .max_headers = MAXH};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sip_parse((const uint8_t *)buf, n, SL_SIP_DATAGRAM, &msg, &an), SL_OK);
    sl_flow f = {.src = addr(l->b_ip),
                 .dst = addr(l->a_ip),
                 .sport = 5060,
                 .dport = 5060,
                 .proto = SL_IPPROTO_UDP};
    sl_sip_ctx ctx;
    sl_sip_ctx_init(&ctx, &msg, at(0.1), &f);
    sl_txn_verdict v;
    sl_dialogs_on_message(t.d, &ctx, &v);
    cr_assert(v.has_request);
    cr_assert(v.request.initial);
    cr_assert(sl_slice_eq(v.request.request_uri, "sip:bob@b.example"));
    cr_assert_eq(v.request.time, at(0.0));
    cr_assert_eq(hook_calls, 1);
    done(&t, 1);
    json_t *ev = only_dialog(&t);
    expect_str(det(ev, "dialog"), "state", "redirected");
    json_decref(ev);
    finish_tracker(&t);
}

Test(dialog, eviction_is_reported_oldest_first)
{
    sl_dialog_config cfg;
    sl_dialog_config_default(&cfg);
    cfg.max_dialogs = 3;
    tracker t;
    start(&t, &cfg);
    char id[32];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "ev-%d", i);
        leg l = L1;
        l.call_id = id;
        sendmsg_at(&t, &l, i, false, req(&l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    }
    cr_assert_eq(sl_dialogs_active(t.d), 3);
    done(&t, 10);
    json_t *an = events_of(&t, "anomaly"), *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(an), 2);
    cr_assert_eq(json_array_size(ds), 5);
    expect_str(det(json_array_get(an, 0), "anomaly"), "kind", "dialog_evicted");
    expect_str(json_array_get(an, 0), "call_id", "ev-0");
    expect_str(json_array_get(an, 1), "call_id", "ev-1");
    expect_str(det(json_array_get(ds, 0), "dialog"), "closed", "evicted");
    /* evicted before any timer ran out: its outcome is unknown, not a timeout */
    expect_str(det(json_array_get(ds, 0), "dialog"), "state", "unfinished");
    expect_str(det(json_array_get(ds, 4), "dialog"), "closed", "end_of_input");
    json_t *st = json_object_get(json_array_get(t.events, json_array_size(t.events) - 1), "stats");
    expect_int(json_object_get(st, "dialogs"), "evicted", 2);
    json_decref(an);
    json_decref(ds);
    finish_tracker(&t);
}

/* A million calls that never end: state stays under both caps and every
 * eviction is reported. */
Test(dialog, a_million_open_dialogs_stay_under_the_cap, .timeout = 300)
{
    sl_dialog_config cfg;
    sl_dialog_config_default(&cfg);
    cfg.max_dialogs = 50000;
    cfg.max_memory = (size_t)32 << 20;
    cfg.hash_seed = 7;
    sl_output *out = sl_output_open("/dev/null", SL_EV_ALL);
    cr_assert(out);
    sl_sink sink = sl_output_sink(out);
    sl_dialogs *d = sl_dialogs_new(&cfg, &sink);
    cr_assert(d);

    static const char inv[] = "INVITE sip:bob@b.example SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP a.example:5060;branch=z9hG4bK1\r\n"
                              "From: <sip:alice@a.example>;tag=fa\r\n"
                              "To: <sip:bob@b.example>\r\n"
                              "Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    sl_sip_header hdrs[MAXH];
    sl_sip_msg msg = {.headers = hdrs, .max_headers = MAXH};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sip_parse((const uint8_t *)inv, sizeof inv - 1, SL_SIP_DATAGRAM, &msg, &an),
                 SL_OK);
    sl_flow f = {.src = addr("192.0.2.10"),
                 .dst = addr("198.51.100.7"),
                 .sport = 5060,
                 .dport = 5060,
                 .proto = SL_IPPROTO_UDP};
    const size_t N = 1000000;
    size_t peak = 0;
    char id[32];
    for (size_t i = 0; i < N; i++) {
        sl_sip_ctx ctx;
        /* a new call every 100 us: no timer fires (Timer B is 32 s) before ~320k */
        sl_sip_ctx_init(&ctx, &msg, at((double)i * 1e-4), &f);
        int n = snprintf(id, sizeof id, "call-%zu@a.example", i);
        ctx.call_id = sl_slice_make(id, (size_t)n);
        sl_dialogs_advance(d, ctx.ts);
        sl_txn_verdict v;
        sl_dialogs_on_message(d, &ctx, &v);
        size_t m = sl_dialogs_memory(d);
        if (m > peak)
            peak = m;
    }
    cr_assert_leq(peak, cfg.max_memory, "peak %zu over the cap", peak);
    cr_assert_leq(sl_dialogs_active(d), cfg.max_dialogs);
    uint64_t evicted = sl_output_count(out, SL_EV_ANOMALY);
    uint64_t written = sl_output_count(out, SL_EV_DIALOG);
    cr_assert_gt(evicted, 0);
    /* every call is written once: evicted, timed out, or (below) flushed */
    sl_dialogs_finish(d, at((double)N * 1e-4));
    cr_assert_eq(sl_output_count(out, SL_EV_DIALOG), N, "written %llu + flushed",
                 (unsigned long long)written);
    cr_assert_eq(sl_dialogs_active(d), 0);
    sl_dialogs_free(d);
    sl_output_close(out);
}

/* INVITE -> 407 -> ACK, then the INVITE with credentials (same From tag, a
 * higher CSeq, a new branch) -> 180 -> 200: one attempt, answered, with the
 * challenge counted and its code kept. Timings run from the first INVITE. */
Test(dialog, auth_challenge_then_retry_is_one_attempt)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, l, 0.1, true, resp(l, 407, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, l, 0.2, false, req(l, "ACK", "a.example", "z9hG4bK1", ALICE, BOB_T, 1));
    /* the retry comes 40 s later, past the 32 s a written attempt lingers */
    cr_assert(
        !sendmsg_at(&t, l, 40.0, false, req(l, "INVITE", "a.example", "z9hG4bK2", ALICE, BOB, 2)));
    sendmsg_at(&t, l, 41.0, true,
               resp(l, 180, "a.example", "z9hG4bK2", ALICE, BOB_T2, 2, "INVITE"));
    sendmsg_at(&t, l, 43.0, true,
               resp(l, 200, "a.example", "z9hG4bK2", ALICE, BOB_T2, 2, "INVITE"));
    sendmsg_at(&t, l, 43.1, false, req(l, "ACK", "a.example", "z9hG4bK3", ALICE, BOB_T2, 2));
    sendmsg_at(&t, l, 50.0, false, req(l, "BYE", "a.example", "z9hG4bK4", ALICE, BOB_T2, 3));
    done(&t, 60);
    json_t *ev = only_dialog(&t);
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "completed");
    expect_int(d, "status_code", 200);
    expect_int(d, "auth_challenges", 1);
    json_t *codes = json_object_get(d, "challenge_codes");
    cr_assert_eq(json_array_size(codes), 1);
    cr_assert_eq(json_integer_value(json_array_get(codes, 0)), 407);
    expect_ms(d, "setup_ms", 43000.0);
    expect_ms(d, "final_ms", 43000.0);
    expect_ms(d, "pdd_ms", 41000.0);
    expect_int(d, "attempt", 1);
    expect_int(d, "messages", 8);
    cr_assert(json_is_true(json_object_get(d, "ringing")));
    json_decref(ev);
    finish_tracker(&t);
}

/* A challenge never answered within the capture stays a failure with the
 * challenge's status, at the end of the input or when the wait runs out. */
Test(dialog, unanswered_challenge_is_a_failure)
{
    tracker t;
    start(&t, NULL);
    leg l1 = L1, l2 = L1;
    l2.call_id = "call-2@a.example";
    sendmsg_at(&t, &l1, 0.0, false, req(&l1, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, &l1, 0.1, true,
               resp(&l1, 401, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_at(&t, &l2, 200.0, false, req(&l2, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, &l2, 200.1, true,
               resp(&l2, 407, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    done(&t, 210);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 2);
    json_t *d0 = det(json_array_get(ds, 0), "dialog"), *d1 = det(json_array_get(ds, 1), "dialog");
    expect_str(d0, "state", "failed");
    expect_int(d0, "status_code", 401);
    expect_str(d0, "closed", "timer"); /* 120 s after the challenge */
    expect_time(json_array_get(ds, 0), "2026-03-01T10:02:00.100000Z");
    expect_ms(d0, "final_ms", 100.0);
    expect_str(d1, "state", "failed");
    expect_int(d1, "status_code", 407);
    expect_str(d1, "closed", "end_of_input");
    expect_int(d1, "auth_challenges", 1);
    json_decref(ds);
    finish_tracker(&t);
}

/* A retry with another From tag, or a lower CSeq, is not the challenged
 * attempt's: a new attempt on the same leg. */
Test(dialog, retry_must_match_from_tag_and_raise_cseq)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 5));
    sendmsg_at(&t, l, 0.1, true, resp(l, 401, "a.example", "z9hG4bK1", ALICE, BOB_T, 5, "INVITE"));
    sendmsg_at(
        &t, l, 1.0, false,
        req(l, "INVITE", "a.example", "z9hG4bK2", "<sip:alice@a.example>;tag=other", BOB, 6));
    sendmsg_at(&t, l, 2.0, false, req(l, "INVITE", "a.example", "z9hG4bK3", ALICE, BOB, 4));
    done(&t, 3);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 3);
    for (int i = 0; i < 3; i++)
        expect_int(det(json_array_get(ds, i), "dialog"), "attempt", i + 1);
    expect_str(det(json_array_get(ds, 0), "dialog"), "state", "failed");
    expect_str(det(json_array_get(ds, 1), "dialog"), "state", "unfinished");
    json_decref(ds);
    finish_tracker(&t);
}

/* Only Timer B running out is a timeout; the end of the input is not. What
 * was seen of an unfinished attempt is kept: ringing, early media. */
Test(dialog, unfinished_at_end_of_input_timeout_by_timer)
{
    tracker t;
    start(&t, NULL);
    leg l1 = L1, l2 = L1;
    l2.call_id = "call-2@a.example";
    sendmsg_at(&t, &l1, 0.0, false, req(&l1, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, &l2, 40.0, false, req(&l2, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    sendmsg_at(&t, &l2, 40.1, true,
               resp(&l2, 180, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    sendmsg_body_at(&t, &l2, 40.2, true,
                    resp(&l2, 183, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"), "v=0\r\n");
    done(&t, 45);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 2);
    json_t *d0 = det(json_array_get(ds, 0), "dialog"), *d1 = det(json_array_get(ds, 1), "dialog");
    expect_str(d0, "state", "timeout");
    expect_str(d0, "closed", "timer");
    expect_null(d0, "final_ms");
    expect_str(d1, "state", "unfinished");
    expect_str(d1, "closed", "end_of_input");
    expect_null(d1, "status_code");
    expect_null(d1, "final_ms");
    cr_assert(json_is_true(json_object_get(d1, "ringing")));
    cr_assert(json_is_true(json_object_get(d1, "early_media")));
    cr_assert(json_is_false(json_object_get(d0, "early_media")));
    json_t *st = json_object_get(json_array_get(t.events, json_array_size(t.events) - 1), "stats");
    json_t *by = json_object_get(json_object_get(st, "dialogs"), "by_state");
    expect_int(by, "timeout", 1);
    expect_int(by, "unfinished", 1);
    json_decref(ds);
    finish_tracker(&t);
}

/* (call_id, leg, attempt) stays unique when the Call-ID comes back long after
 * its records were freed, and legs are numbered in the order their first
 * INVITEs were seen. */
Test(dialog, numbering_survives_the_records)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    leg other = L1;
    other.a_ip = "192.0.2.99";
    for (int i = 0; i < 3; i++) {
        double s0 = i * 600.0; /* ten minutes apart */
        char br[16];
        snprintf(br, sizeof br, "z9hG4bKn%d", i);
        sendmsg_at(&t, l, s0, false, req(l, "INVITE", "a.example", br, ALICE, BOB, 1));
        sendmsg_at(&t, l, s0 + 0.1, true, resp(l, 486, "a.example", br, ALICE, BOB_T, 1, "INVITE"));
    }
    sendmsg_at(&t, &other, 2000.0, false,
               req(&other, "INVITE", "a.example", "z9hG4bKo", ALICE, BOB, 1));
    done(&t, 2001);
    json_t *ds = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(ds), 4);
    for (int i = 0; i < 3; i++) {
        expect_int(det(json_array_get(ds, i), "dialog"), "leg", 0);
        expect_int(det(json_array_get(ds, i), "dialog"), "attempt", i + 1);
    }
    expect_int(det(json_array_get(ds, 3), "dialog"), "leg", 1);
    expect_int(det(json_array_get(ds, 3), "dialog"), "attempt", 1);
    json_decref(ds);
    finish_tracker(&t);
}

/* Reliable provisionals (RFC 3262): a 183 with a new RSeq is a new response,
 * the same RSeq again a retransmission; the PRACK and its 200 are a
 * transaction of their own, matched like any other. */
Test(dialog, reliable_provisionals_and_prack)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    char r1[sizeof mbuf + 64];
    sendmsg_at(&t, l, 0.0, false, req(l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
    for (int i = 0; i < 3; i++) {
        unsigned rseq = i == 2 ? 2 : 1; /* 1, 1 again (retransmitted), 2 */
        snprintf(r1, sizeof r1, "%sRSeq: %u\nRequire: 100rel\n",
                 resp(l, 183, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"), rseq);
        bool again = sendmsg_at(&t, l, 0.1 + i * 0.5, true, r1);
        cr_assert_eq(again, i == 1, "183 #%d (RSeq %u): retransmission %d", i, rseq, again);
    }
    cr_assert(
        !sendmsg_at(&t, l, 1.5, false, req(l, "PRACK", "a.example", "z9hG4bKp1", ALICE, BOB_T, 2)));
    cr_assert(!sendmsg_at(&t, l, 1.6, true,
                          resp(l, 200, "a.example", "z9hG4bKp1", ALICE, BOB_T, 2, "PRACK")));
    cr_assert(sendmsg_at(&t, l, 1.7, true,
                         resp(l, 200, "a.example", "z9hG4bKp1", ALICE, BOB_T, 2, "PRACK")));
    sendmsg_at(&t, l, 2.0, true, resp(l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
    done(&t, 3);
    json_t *ev = only_dialog(&t);
    json_t *d = det(ev, "dialog");
    expect_str(d, "state", "answered");
    expect_int(d, "retransmissions", 2);
    json_t *st = json_object_get(json_array_get(t.events, json_array_size(t.events) - 1), "stats");
    json_t *tx = json_object_get(st, "transactions");
    json_t *prack = json_object_get(json_object_get(tx, "by_method"), "PRACK");
    expect_int(prack, "requests", 1);
    expect_int(prack, "retransmissions", 1);
    expect_int(json_object_get(prack, "final"), "200", 1);
    expect_int(tx, "unmatched_responses", 0);
    json_decref(ev);
    finish_tracker(&t);
}

/* The same final response seen again is a retransmission even when its
 * request was not captured; another status on the same transaction is not,
 * and a request arriving after its response is not taken for a repeat. */
Test(dialog, response_retransmission_without_its_request)
{
    tracker t;
    start(&t, NULL);
    const leg *l = &L1;
    const char *r408 =
        "SIP/2.0 408 Request Timeout\nVia: SIP/2.0/UDP a.example:5060;"
        "branch=z9hG4bKc1\nFrom: " ALICE "\nTo: " BOB_T "\nCall-ID: call-1@a.example\n"
        "CSeq: 1 CANCEL\n";
    cr_assert(!sendmsg_at(&t, l, 0.0, true, r408));
    for (int i = 1; i < 4; i++)
        cr_assert(sendmsg_at(&t, l, i * 4.0, true, r408), "repeat %d not flagged", i);
    cr_assert(!sendmsg_at(&t, l, 20.0, true,
                          resp(l, 481, "a.example", "z9hG4bKc1", ALICE, BOB_T, 1, "CANCEL")));
    /* the response overtook its request (span port reordering) */
    cr_assert(!sendmsg_at(&t, l, 21.0, true,
                          resp(l, 200, "a.example", "z9hG4bKo1", ALICE, BOB_T, 1, "OPTIONS")));
    cr_assert(!sendmsg_at(&t, l, 21.001, false,
                          req(l, "OPTIONS", "a.example", "z9hG4bKo1", ALICE, BOB, 1)));
    done(&t, 30);
    json_t *st = json_object_get(json_array_get(t.events, json_array_size(t.events) - 1), "stats");
    json_t *tx = json_object_get(st, "transactions");
    expect_int(tx, "unmatched_responses", 3);
    expect_int(tx, "unmatched_retransmissions", 3);
    json_t *cancel = json_object_get(json_object_get(tx, "by_method"), "CANCEL");
    cr_assert_null(cancel, "no CANCEL request was seen");
    json_t *options = json_object_get(json_object_get(tx, "by_method"), "OPTIONS");
    expect_int(options, "requests", 1);
    expect_int(options, "retransmissions", 0);
    finish_tracker(&t);
}

/* An SDP body: a session c= address and streams of (port, own c= or NULL). */
static const char *sdp_body(char *buf, size_t cap, const char *ip, int n, const int *ports,
                            const char *const *ips)
{
    int k = snprintf(buf, cap, "v=0\r\no=- 1 1 IN IP%c %s\r\ns=-\r\nc=IN IP%c %s\r\nt=0 0\r\n",
                     strchr(ip, ':') ? '6' : '4', ip, strchr(ip, ':') ? '6' : '4', ip);
    for (int i = 0; i < n; i++) {
        k += snprintf(buf + k, cap - (size_t)k,
                      "m=audio %d RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n", ports[i]);
        if (ips && ips[i])
            k += snprintf(buf + k, cap - (size_t)k, "c=IN IP6 %s\r\n", ips[i]);
    }
    cr_assert_lt((size_t)k, cap);
    return buf;
}

static void expect_stream(json_t *sdp, size_t i, long long port, const char *ip)
{
    json_t *st = json_array_get(json_object_get(sdp, "streams"), i);
    cr_assert_not_null(st, "stream %zu", i);
    expect_int(st, "port", port);
    expect_str(st, "connection_ip", ip);
}

/* A call's media: own values that fit the record's room, an answer that
 * outgrows it (moved to an allocation of its own), an offer too big for it
 * from the start; two calls with the same streams share their shapes. */
Test(dialog, media_kept_in_the_record_or_beside_it)
{
    /* written out in full: 3 of them do not fit in the record's room */
    static const char *const v6[] = {"2001:0db8:0001:0000:0000:0000:0000:0010",
                                     "2001:0db8:0002:0000:0000:0000:0000:0020",
                                     "2001:0db8:0003:0000:0000:0000:0000:0030"};
    const int small_ports[] = {4000}, big_ports[] = {6000, 6002, 6004};
    char small[512], big[1024];
    tracker t;
    start(&t, NULL);
    for (int call = 0; call < 3; call++) {
        leg l = L1;
        char id[32];
        snprintf(id, sizeof id, "media-%d@a.example", call);
        l.call_id = id;
        double t0 = call * 10.0;
        const char *offer = call == 2
                                ? sdp_body(big, sizeof big, "2001:db8::1", 3, big_ports, v6)
                                : sdp_body(small, sizeof small, "192.0.2.10", 1, small_ports, NULL);
        char head[sizeof mbuf + 64];
        snprintf(head, sizeof head, "%sContent-Type: application/sdp\n",
                 req(&l, "INVITE", "a.example", "z9hG4bK1", ALICE, BOB, 1));
        sendmsg_body_at(&t, &l, t0, false, head, offer);
        const char *answer =
            call == 2 ? sdp_body(small, sizeof small, "198.51.100.7", 1, small_ports, NULL)
                      : sdp_body(big, sizeof big, "2001:db8::2", 3, big_ports, v6);
        snprintf(head, sizeof head, "%sContent-Type: application/sdp\n",
                 resp(&l, 200, "a.example", "z9hG4bK1", ALICE, BOB_T, 1, "INVITE"));
        sendmsg_body_at(&t, &l, t0 + 1, true, head, answer);
        sendmsg_at(&t, &l, t0 + 1.1, false,
                   req(&l, "ACK", "a.example", "z9hG4bK2", ALICE, BOB_T, 1));
        sendmsg_at(&t, &l, t0 + 5, false, req(&l, "BYE", "a.example", "z9hG4bK3", ALICE, BOB_T, 2));
        sendmsg_at(&t, &l, t0 + 5.1, true,
                   resp(&l, 200, "a.example", "z9hG4bK3", ALICE, BOB_T, 2, "BYE"));
    }
    done(&t, 100);
    json_t *d = events_of(&t, "dialog");
    cr_assert_eq(json_array_size(d), 3);
    for (size_t call = 0; call < 3; call++) {
        json_t *media = json_object_get(det(json_array_get(d, call), "dialog"), "media");
        json_t *small_sdp = json_object_get(media, call == 2 ? "answer" : "offer");
        json_t *big_sdp = json_object_get(media, call == 2 ? "offer" : "answer");
        expect_str(small_sdp, "connection_ip", call == 2 ? "198.51.100.7" : "192.0.2.10");
        expect_stream(small_sdp, 0, 4000, call == 2 ? "198.51.100.7" : "192.0.2.10");
        expect_str(big_sdp, "connection_ip", call == 2 ? "2001:db8::1" : "2001:db8::2");
        for (size_t i = 0; i < 3; i++)
            expect_stream(big_sdp, i, big_ports[i], v6[i]);
    }
    json_decref(d);
    finish_tracker(&t);
}

/* Every method by its exact name; a byte off anywhere, another case or
 * length, is "other". */
Test(methods, names_exactly)
{
    for (int m = 0; m < SL_M_OTHER; m++) {
        const char *name = sl_method_name((sl_method)m);
        size_t n = strlen(name);
        cr_assert_eq((int)sl_method_of(sl_slice_make(name, n)), m, "%s", name);
        char buf[16];
        for (size_t i = 0; i < n; i++) {
            memcpy(buf, name, n);
            buf[i] ^= 0x20; /* the case of one letter */
            cr_assert_eq(sl_method_of(sl_slice_make(buf, n)), SL_M_OTHER, "%s at %zu", name, i);
        }
        memcpy(buf, name, n);
        buf[n] = 'X';
        cr_assert_eq(sl_method_of(sl_slice_make(buf, n + 1)), SL_M_OTHER, "%s+X", name);
        cr_assert_eq(sl_method_of(sl_slice_make(name, n - 1)), SL_M_OTHER, "%s-1", name);
    }
    cr_assert_eq(sl_method_of(sl_slice_make("", 0)), SL_M_OTHER);
}
