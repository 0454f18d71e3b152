/* HEP over TCP (src/tcp_hep.c): HEPv3 packets framed by their length on a
 * stream, resync after junk, holes and cuts, the cap. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "anomaly_log.h"
#include "sipsleuth/tcp_stream.h"
#include "tcp_segments.h"

#define MAX_REC 32

typedef struct rec {
    int n;
    uint8_t *hep[MAX_REC];
    size_t len[MAX_REC];
    sl_test_anomalies anom;
} rec;

static void on_hep(void *user, const uint8_t *hep, size_t len, sl_time ts, const sl_flow *flow)
{
    (void)ts;
    rec *r = user;
    cr_assert_eq(flow->proto, SL_IPPROTO_TCP);
    cr_assert_eq(flow->sport, 40000);
    cr_assert_lt(r->n, MAX_REC);
    r->hep[r->n] = malloc(len);
    memcpy(r->hep[r->n], hep, len);
    r->len[r->n++] = len;
}

static void on_message(void *user, const uint8_t *msg, size_t len, sl_time ts, const sl_flow *flow)
{
    (void)user, (void)msg, (void)len, (void)ts, (void)flow;
    cr_assert_fail("a SIP message delivered from a HEP stream");
}

static void on_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail)
{
    (void)flow, (void)ts, (void)detail;
    rec *r = user;
    sl_test_anomaly_note(&r->anom, kind);
}

static int count_kind(const rec *r, const char *kind)
{
    return sl_test_anomaly_count(&r->anom, kind);
}

static void rec_clear(rec *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->hep[i]);
    memset(r, 0, sizeof *r);
}

static sl_tcp_table *table(size_t max_message, rec *r, bool with_hep)
{
    sl_tcp_config cfg;
    sl_tcp_config_default(&cfg);
    if (max_message)
        cfg.max_message = max_message;
    sl_tcp_callbacks cb = {.on_message = on_message,
                           .on_anomaly = on_anomaly,
                           .user = r,
                           .on_hep = with_hep ? on_hep : NULL};
    sl_tcp_table *t = sl_tcp_new(&cfg, &cb);
    cr_assert_not_null(t);
    return t;
}

/* Direction 0 of 10.0.0.1:40000 -> 10.0.0.2:9060; `kept` of `len` bytes captured. */
static void send_seg(sl_tcp_table *t, uint32_t seq, const void *data, size_t len, size_t kept)
{
    sl_test_send_segment(
        t, &(sl_test_segment){.dport = 9060, .seq = seq, .data = data, .len = len, .kept = kept});
}

static void send(sl_tcp_table *t, uint32_t seq, const void *data, size_t len)
{
    send_seg(t, seq, data, len, len);
}

/* A HEPv3 packet of `len` bytes: header, then one payload chunk of `fill`. */
static size_t hep(uint8_t *out, size_t len, char fill)
{
    cr_assert_geq(len, 13);
    memcpy(out, "HEP3", 4);
    out[4] = (uint8_t)(len >> 8);
    out[5] = (uint8_t)len;
    const size_t clen = len - 6;
    const uint8_t chunk[6] = {0, 0, 0, 15, (uint8_t)(clen >> 8), (uint8_t)clen};
    memcpy(out + 6, chunk, sizeof chunk);
    memset(out + 12, fill, len - 12);
    return len;
}

static void expect(const rec *r, int n, const uint8_t *const *want, const size_t *lens)
{
    cr_assert_eq(r->n, n, "delivered %d packets, expected %d", r->n, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(r->len[i], lens[i], "packet %d: %zu bytes, expected %zu", i, r->len[i],
                     lens[i]);
        cr_assert(memcmp(r->hep[i], want[i], lens[i]) == 0, "packet %d differs", i);
    }
}

Test(tcp_hep, two_packets_at_every_split)
{
    uint8_t all[400];
    size_t a = hep(all, 150, 'a'), b = hep(all + a, 200, 'b'), n = a + b;
    const uint8_t *want[] = {all, all + a};
    const size_t lens[] = {a, b};
    for (size_t cut = 0; cut <= n; cut++) {
        rec r = {0};
        sl_tcp_table *t = table(0, &r, true);
        send(t, 1000, all, cut);
        send(t, 1000 + (uint32_t)cut, all + cut, n - cut);
        expect(&r, 2, want, lens);
        sl_tcp_destroy(t);
        cr_assert_eq(r.anom.n, 0, "cut %zu: %d anomalies", cut, r.anom.n);
        rec_clear(&r);
    }
}

Test(tcp_hep, byte_by_byte)
{
    uint8_t all[300];
    size_t a = hep(all, 100, 'a'), b = hep(all + a, 120, 'b');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, true);
    for (size_t i = 0; i < a + b; i++)
        send(t, 7 + (uint32_t)i, all + i, 1);
    const uint8_t *want[] = {all, all + a};
    const size_t lens[] = {a, b};
    expect(&r, 2, want, lens);
    sl_tcp_destroy(t);
    cr_assert_eq(r.anom.n, 0);
    rec_clear(&r);
}

Test(tcp_hep, without_a_receiver_not_sip)
{
    uint8_t p[100];
    hep(p, sizeof p, 'a');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, false);
    for (int i = 0; i < 200; i++)
        send(t, 1 + (uint32_t)(i * sizeof p), p, sizeof p);
    sl_tcp_stats st;
    sl_tcp_get_stats(t, &st);
    cr_assert_eq(st.not_sip_streams, 1);
    cr_assert_eq(r.n, 0);
    sl_tcp_destroy(t);
    rec_clear(&r);
}

Test(tcp_hep, junk_then_resync)
{
    uint8_t all[400];
    size_t n = hep(all, 100, 'a');
    /* junk holding a "HEP3" whose length holds no chunk, and a bare "HE" */
    static const char junk[] = "xHEP3\x00\x0bHEyy";
    memcpy(all + n, junk, sizeof junk - 1);
    size_t b = n + sizeof junk - 1;
    n = b + hep(all + b, 90, 'b');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, true);
    send(t, 1, all, n);
    const uint8_t *want[] = {all, all + b};
    const size_t lens[] = {100, 90};
    expect(&r, 2, want, lens);
    cr_assert_eq(count_kind(&r, "tcp_hep_invalid"), 1);
    sl_tcp_destroy(t);
    rec_clear(&r);
}

Test(tcp_hep, over_the_cap_skipped_by_its_length)
{
    static uint8_t all[2000];
    size_t a = hep(all, 100, 'a');
    size_t big = hep(all + a, 1000, 'H'); /* 'H' filler: no false start in it */
    size_t c = hep(all + a + big, 120, 'c');
    rec r = {0};
    sl_tcp_table *t = table(256, &r, true);
    /* in small segments, so that nothing of the big packet need be held */
    size_t n = a + big + c;
    for (size_t off = 0; off < n; off += 64)
        send(t, 1 + (uint32_t)off, all + off, n - off < 64 ? n - off : 64);
    const uint8_t *want[] = {all, all + a + big};
    const size_t lens[] = {a, c};
    expect(&r, 2, want, lens);
    cr_assert_eq(count_kind(&r, "tcp_message_too_large"), 1);
    cr_assert_eq(r.anom.n, 1);
    sl_tcp_destroy(t);
    rec_clear(&r);
}

Test(tcp_hep, hole_then_resync)
{
    uint8_t all[600];
    size_t a = hep(all, 150, 'a'), b = hep(all + a, 150, 'b'), c = hep(all + a + b, 150, 'c');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, true);
    send(t, 1, all, a + 20);
    /* bytes a+20 .. a+b+30 never come: the rest of b and the start of c are lost */
    send(t, 1 + (uint32_t)(a + b + 30), all + a + b + 30, c - 30);
    size_t d = hep(all, 140, 'd');
    send(t, 1 + (uint32_t)(a + b + c), all, d);
    sl_tcp_destroy(t); /* the hole is skipped at the end: then d is found */
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.len[0], a);
    cr_assert_eq(r.len[1], d);
    cr_assert_eq(r.hep[1][20], 'd');
    cr_assert_eq(count_kind(&r, "tcp_gap"), 1);
    rec_clear(&r);
}

Test(tcp_hep, snap_length_cut_keeps_step)
{
    uint8_t all[600];
    size_t a = hep(all, 200, 'a'), b = hep(all + a, 150, 'b');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, true);
    /* a's first 120 bytes captured, 60 of the segment's bytes cut: a is lost,
     * its declared end is where b starts */
    send_seg(t, 1, all, 180, 120);
    send(t, 181, all + 180, a + b - 180);
    const uint8_t *want[] = {all + a};
    const size_t lens[] = {b};
    expect(&r, 1, want, lens);
    cr_assert_eq(count_kind(&r, "truncated_message"), 1);
    sl_tcp_stats st;
    sl_tcp_get_stats(t, &st);
    cr_assert_eq(st.truncated, 1);
    sl_tcp_destroy(t);
    cr_assert_eq(r.anom.n, 1);
    rec_clear(&r);
}

Test(tcp_hep, cut_past_a_packet_resyncs)
{
    uint8_t all[600];
    size_t a = hep(all, 100, 'a'), b = hep(all + a, 100, 'b'), c = hep(all + a + b, 100, 'c');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, true);
    send_seg(t, 1, all, a + 50, 50); /* a and b's header cut */
    send(t, 1 + (uint32_t)(a + 50), all + a + 50, b + c - 50);
    const uint8_t *want[] = {all + a + b};
    const size_t lens[] = {c};
    expect(&r, 1, want, lens);
    cr_assert_eq(count_kind(&r, "truncated_message"), 1);
    sl_tcp_destroy(t);
    rec_clear(&r);
}

Test(tcp_hep, unfinished_at_the_end)
{
    uint8_t p[200];
    hep(p, sizeof p, 'a');
    rec r = {0};
    sl_tcp_table *t = table(0, &r, true);
    send(t, 1, p, 150);
    sl_tcp_destroy(t);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(count_kind(&r, "tcp_incomplete_message"), 1);
    rec_clear(&r);
}
