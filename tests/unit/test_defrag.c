#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "anomaly_log.h"
#include "guarded.h"
#include "sipsleuth/defrag.h"

static void on_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail)
{
    (void)flow;
    (void)ts;
    cr_assert_not_null(detail);
    sl_test_anomaly_note(user, kind);
}

static sl_packet frag(int family, uint32_t id, uint32_t off, bool more, const uint8_t *data,
                      size_t len)
{
    sl_packet p;
    memset(&p, 0, sizeof p);
    p.src.family = p.dst.family = (uint8_t)family;
    p.src.bytes[0] = 10;
    p.src.bytes[3] = 1;
    p.dst.bytes[0] = 10;
    p.dst.bytes[3] = 2;
    if (family == 6) {
        p.src.bytes[15] = 1;
        p.dst.bytes[15] = 2;
    }
    p.ip_proto = SL_IPPROTO_UDP;
    p.frag.is_fragment = true;
    p.frag.more = more;
    p.frag.id = id;
    p.frag.offset = off;
    p.ip_payload = sl_slice_make(data, len);
    return p;
}

static uint8_t payload[3000];

static void fill(void)
{
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
}

/* Offers [off, off+len) of `payload` (of its start when off is past its end)
 * from a guarded copy. */
static sl_status offer(sl_defrag *d, int family, uint32_t id, uint32_t off, uint32_t len, bool more,
                       sl_time ts, sl_slice *out)
{
    sl_guarded g;
    size_t from = (size_t)off + len <= sizeof payload ? off : 0;
    const uint8_t *p = sl_guard(&g, payload + from, len);
    sl_packet pkt = frag(family, id, off, more, p, len);
    sl_status st = sl_defrag_add(d, &pkt, ts, out);
    sl_guard_free(&g);
    return st;
}

static void check_whole(sl_slice out, size_t len)
{
    cr_assert_eq(out.len, len);
    cr_assert(memcmp(out.ptr, payload, len) == 0);
}

Test(defrag, in_order_and_reverse_v4)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag *d = sl_defrag_new(NULL, on_anomaly, &s);
    sl_slice out;
    cr_assert_eq(offer(d, 4, 1, 0, 1480, true, 0, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 1, 1480, 1480, true, 0, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 1, 2960, 40, false, 0, &out), SL_OK);
    check_whole(out, 3000);

    cr_assert_eq(offer(d, 4, 2, 2960, 40, false, 1, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 2, 1480, 1480, true, 2, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 2, 0, 1480, true, 3, &out), SL_OK);
    check_whole(out, 3000);

    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_eq(st.datagrams, 2);
    cr_assert_eq(st.trains, 0);
    cr_assert_eq(st.bytes, 0);
    cr_assert_eq(s.n, 0);
    sl_defrag_destroy(d);
}

Test(defrag, ipv6_shuffled)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag *d = sl_defrag_new(NULL, on_anomaly, &s);
    sl_slice out;
    const uint32_t order[] = {2, 0, 3, 1};
    for (int i = 0; i < 4; i++) {
        uint32_t k = order[i];
        bool last = k == 3;
        sl_status st = offer(d, 6, 0xdeadbeef, k * 800, last ? 600 : 800, !last, i, &out);
        cr_assert_eq(st, i == 3 ? SL_OK : SL_PARTIAL);
    }
    check_whole(out, 3000);
    /* the same id over IPv4 is another train */
    cr_assert_eq(offer(d, 4, 0xdeadbeef, 0, 800, true, 5, &out), SL_PARTIAL);
    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_eq(st.trains, 1);
    sl_defrag_destroy(d);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_incomplete"), 1);
}

Test(defrag, duplicates_and_benign_overlap)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag *d = sl_defrag_new(NULL, on_anomaly, &s);
    sl_slice out;
    cr_assert_eq(offer(d, 4, 7, 0, 16, true, 0, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 7, 0, 16, true, 0, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 7, 8, 24, true, 0, &out), SL_PARTIAL); /* [8,32), half new */
    cr_assert_eq(offer(d, 4, 7, 32, 5, false, 0, &out), SL_OK);
    check_whole(out, 37);
    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_eq(st.duplicates, 1);
    cr_assert_eq(st.overlaps, 0);
    cr_assert_eq(s.n, 0);
    sl_defrag_destroy(d);
}

Test(defrag, overlap_first_wins)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag *d = sl_defrag_new(NULL, on_anomaly, &s);
    sl_slice out;
    uint8_t evil[24];
    memset(evil, 'X', sizeof evil);
    cr_assert_eq(offer(d, 4, 9, 8, 16, true, 0, &out), SL_PARTIAL);
    /* [0,24) arrives later with different bytes in [8,24): only [0,8) is taken */
    sl_packet p = frag(4, 9, 0, true, evil, sizeof evil);
    cr_assert_eq(sl_defrag_add(d, &p, 0, &out), SL_PARTIAL);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_overlap"), 1);
    cr_assert_eq(offer(d, 4, 9, 24, 8, false, 0, &out), SL_OK);
    cr_assert_eq(out.len, 32);
    cr_assert(memcmp(out.ptr, evil, 8) == 0);
    cr_assert(memcmp(out.ptr + 8, payload + 8, 24) == 0);
    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_eq(st.overlaps, 1);
    sl_defrag_destroy(d);
}

Test(defrag, timeout)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag_config cfg;
    sl_defrag_config_default(&cfg);
    cfg.timeout = 5 * SL_NS_PER_SEC;
    sl_defrag *d = sl_defrag_new(&cfg, on_anomaly, &s);
    sl_slice out;
    cr_assert_eq(offer(d, 4, 1, 0, 8, true, 0, &out), SL_PARTIAL);
    sl_defrag_expire(d, 4 * SL_NS_PER_SEC);
    cr_assert_eq(s.n, 0);
    sl_defrag_expire(d, 5 * SL_NS_PER_SEC);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_timeout"), 1);
    /* the rest of the train, too late: a new train that never completes */
    cr_assert_eq(offer(d, 4, 1, 8, 8, false, 6 * SL_NS_PER_SEC, &out), SL_PARTIAL);
    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_eq(st.timeouts, 1);
    cr_assert_eq(st.trains, 1);
    sl_defrag_destroy(d);
}

Test(defrag, train_cap_evicts_oldest)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag_config cfg;
    sl_defrag_config_default(&cfg);
    cfg.max_trains = 4;
    sl_defrag *d = sl_defrag_new(&cfg, on_anomaly, &s);
    sl_slice out;
    for (uint32_t id = 0; id < 5; id++)
        cr_assert_eq(offer(d, 4, id, 0, 8, true, id, &out), SL_PARTIAL);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_evicted"), 1);
    /* train 0 is gone: its last fragment starts a new train; train 1 completes */
    cr_assert_eq(offer(d, 4, 1, 8, 8, false, 10, &out), SL_OK);
    check_whole(out, 16);
    sl_defrag_destroy(d);
}

Test(defrag, rejects)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag *d = sl_defrag_new(NULL, on_anomaly, &s);
    sl_slice out;
    cr_assert_eq(offer(d, 4, 1, 65512, 8, false, 0, &out), SL_INVALID);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_too_big"), 1);
    cr_assert_eq(offer(d, 6, 1, 65512, 15, false, 0, &out), SL_PARTIAL); /* ends at 65527 */
    cr_assert_eq(offer(d, 6, 2, 65512, 16, false, 0, &out), SL_INVALID);
    cr_assert_eq(offer(d, 4, 3, 0, 12, true, 0, &out), SL_INVALID);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_bad_length"), 1);
    cr_assert_eq(offer(d, 4, 4, 16, 8, false, 0, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 4, 16, 16, false, 0, &out), SL_INVALID); /* another end */
    cr_assert_eq(offer(d, 4, 4, 16, 16, true, 0, &out), SL_INVALID);  /* past the end */
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_inconsistent_end"), 2);
    sl_packet p = frag(4, 5, 0, true, payload, 8);
    p.truncated = true;
    cr_assert_eq(sl_defrag_add(d, &p, 0, &out), SL_INVALID);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_truncated"), 1);
    sl_defrag_destroy(d);
}

Test(defrag, piece_cap)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag_config cfg;
    sl_defrag_config_default(&cfg);
    cfg.max_frags = 8;
    sl_defrag *d = sl_defrag_new(&cfg, on_anomaly, &s);
    sl_slice out;
    /* every other 8-byte block: pieces never merge */
    for (uint32_t i = 0; i < 9; i++)
        cr_assert_eq(offer(d, 4, 1, i * 16, 8, true, 0, &out), i < 8 ? SL_PARTIAL : SL_INVALID);
    cr_assert_eq(sl_test_anomaly_count(&s, "ip_frag_too_many"), 1);
    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_eq(st.trains, 0);
    sl_defrag_destroy(d);
}

/* Issue acceptance 3, fragments: a flood of unfinished trains keeps the table
 * under its memory cap; evictions are reported; a real datagram still passes. */
Test(defrag, flood_stays_under_cap)
{
    fill();
    sl_test_anomalies s = {0};
    sl_defrag_config cfg;
    sl_defrag_config_default(&cfg);
    cfg.max_bytes = 256 * 1024;
    cfg.max_trains = 100000;
    sl_defrag *d = sl_defrag_new(&cfg, on_anomaly, &s);
    sl_slice out;
    size_t peak = 0;
    for (uint32_t id = 0; id < 20000; id++) {
        sl_packet p = frag(4, id, (id % 40) * 1480, true, payload, 1480);
        p.src.bytes[2] = (uint8_t)(id >> 8);
        sl_defrag_add(d, &p, id, &out);
        size_t m = sl_defrag_memory(d);
        if (m > peak)
            peak = m;
    }
    cr_assert_leq(peak, cfg.max_bytes);
    sl_defrag_stats st;
    sl_defrag_get_stats(d, &st);
    cr_assert_gt(st.evictions, 1000);
    cr_assert_geq((uint64_t)s.n, st.evictions);
    cr_assert_eq(offer(d, 4, 424242, 1480, 1480, false, 30000, &out), SL_PARTIAL);
    cr_assert_eq(offer(d, 4, 424242, 0, 1480, true, 30001, &out), SL_OK);
    check_whole(out, 2960);
    sl_defrag_destroy(d);
}
