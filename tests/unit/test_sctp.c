#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "anomaly_log.h"
#include "guarded.h"
#include "sipsleuth/layers.h"
#include "sipsleuth/sctp.h"
#include "sipsleuth/sctp_assoc.h"

/* ---- building packets ---- */

typedef struct buf {
    uint8_t b[70000];
    size_t n;
} buf;

static void put8(buf *p, uint8_t v)
{
    p->b[p->n++] = v;
}
static void put16(buf *p, uint16_t v)
{
    put8(p, (uint8_t)(v >> 8));
    put8(p, (uint8_t)v);
}
static void put32(buf *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p, (uint16_t)v);
}
static void header(buf *p)
{
    p->n = 0;
    put16(p, 5060);
    put16(p, 5061);
    put32(p, 0x11223344);
    put32(p, 0xdeadbeef); /* a wrong checksum: not verified */
}
static void chunk(buf *p, uint8_t type, uint8_t flags, const void *value, size_t len, bool pad)
{
    put8(p, type);
    put8(p, flags);
    put16(p, (uint16_t)(4 + len));
    memcpy(p->b + p->n, value, len);
    p->n += len;
    while (pad && p->n % 4)
        put8(p, 0);
}
static void data(buf *p, uint32_t tsn, uint16_t sid, uint8_t flags, const char *s, size_t len)
{
    buf v = {.n = 0};
    put32(&v, tsn);
    put16(&v, sid);
    put16(&v, 0);
    put32(&v, 0);
    memcpy(v.b + v.n, s, len);
    chunk(p, SL_SCTP_DATA, flags, v.b, v.n + len, true);
}
static void idata(buf *p, uint32_t tsn, uint16_t sid, uint32_t mid, uint8_t flags, uint32_t fsn,
                  const char *s, size_t len)
{
    buf v = {.n = 0};
    put32(&v, tsn);
    put16(&v, sid);
    put16(&v, 0);
    put32(&v, mid);
    put32(&v, (flags & SL_SCTP_FLAG_B) ? 0 : fsn);
    memcpy(v.b + v.n, s, len);
    chunk(p, SL_SCTP_IDATA, flags, v.b, v.n + len, true);
}

#define BE (SL_SCTP_FLAG_B | SL_SCTP_FLAG_E)

static const char MSG[] = "OPTIONS sip:b@b.example SIP/2.0\r\nCall-ID: x@a\r\nCSeq: 1 OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";

/* ---- the chunk walk ---- */

Test(sctp_walk, bundled_chunks_with_padding)
{
    buf p;
    header(&p);
    chunk(&p, SL_SCTP_SACK, 0, "\0\0\0\1\0\1\0\0\0\0\0\0", 12, true);
    data(&p, 7, 1, BE, "abcde", 5); /* 21 bytes: 3 of padding */
    data(&p, 8, 1, BE, "xy", 2);
    sl_guarded g;
    const uint8_t *d = sl_guard(&g, p.b, p.n);
    sl_packet pkt = {0};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sctp_decode(sl_slice_make(d, p.n), p.n, &pkt, &an), SL_OK);
    cr_assert_eq(pkt.sport, 5060);
    cr_assert_eq(pkt.dport, 5061);
    sl_sctp_iter it;
    sl_sctp_iter_init(&it, pkt.payload, pkt.payload.len);
    sl_sctp_chunk c;
    cr_assert(sl_sctp_next_chunk(&it, &c, &an));
    cr_assert_eq(c.type, SL_SCTP_SACK);
    cr_assert(sl_sctp_next_chunk(&it, &c, &an));
    sl_sctp_data dd;
    cr_assert_eq(sl_sctp_data_parse(&c, &dd, &an), SL_OK);
    cr_assert(dd.begin && dd.end && !dd.unordered && !dd.idata);
    cr_assert_eq(dd.tsn, 7);
    cr_assert_eq(dd.sid, 1);
    cr_assert_eq(dd.payload.len, 5);
    cr_assert(memcmp(dd.payload.ptr, "abcde", 5) == 0);
    cr_assert(sl_sctp_next_chunk(&it, &c, &an));
    cr_assert_eq(sl_sctp_data_parse(&c, &dd, &an), SL_OK);
    cr_assert_eq(dd.tsn, 8);
    cr_assert(!sl_sctp_next_chunk(&it, &c, &an));
    cr_assert_eq(an.kind, SL_ANOM_NONE);
    sl_guard_free(&g);
}

Test(sctp_walk, last_chunk_without_padding_is_tolerated)
{
    buf p;
    header(&p);
    data(&p, 1, 0, BE, "abc", 3);
    p.n -= 1; /* drop the padding byte */
    sl_packet pkt = {0};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sctp_decode(sl_slice_make(p.b, p.n), p.n, &pkt, &an), SL_OK);
    sl_sctp_iter it;
    sl_sctp_iter_init(&it, pkt.payload, pkt.payload.len);
    sl_sctp_chunk c;
    cr_assert(sl_sctp_next_chunk(&it, &c, &an));
    cr_assert(!sl_sctp_next_chunk(&it, &c, &an));
    cr_assert_eq(an.kind, SL_ANOM_NONE);
}

static const char *walk_kind(const buf *p)
{
    sl_packet pkt = {0};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sctp_decode(sl_slice_make(p->b, p->n), p->n, &pkt, &an), SL_OK);
    sl_sctp_iter it;
    sl_sctp_iter_init(&it, pkt.payload, pkt.payload.len);
    sl_sctp_chunk c;
    int n = 0;
    while (sl_sctp_next_chunk(&it, &c, &an)) {
        sl_sctp_data d;
        if (c.type == SL_SCTP_DATA)
            sl_sctp_data_parse(&c, &d, &an);
        cr_assert_lt(++n, 100);
    }
    return sl_anomaly_name(an.kind);
}

Test(sctp_walk, bad_lengths_are_named)
{
    buf p;
    header(&p);
    put8(&p, 0);
    put8(&p, 3);
    put16(&p, 3); /* below the chunk header */
    cr_assert_str_eq(walk_kind(&p), "sctp_bad_chunk_length");
    header(&p);
    put8(&p, 0);
    put8(&p, 3);
    put16(&p, 400); /* beyond the packet */
    put32(&p, 0);
    cr_assert_str_eq(walk_kind(&p), "sctp_bad_chunk_length");
    header(&p);
    chunk(&p, SL_SCTP_DATA, BE, "\0\0\0\1\0\0\0\0", 8, true);
    cr_assert_str_eq(walk_kind(&p), "sctp_data_too_short");
    header(&p);
    data(&p, 1, 0, BE, "", 0);
    cr_assert_str_eq(walk_kind(&p), "sctp_data_empty");
    header(&p);
    chunk(&p, SL_SCTP_SACK, 0, "", 0, true);
    put16(&p, 0); /* two stray bytes */
    cr_assert_str_eq(walk_kind(&p), "sctp_bad_chunk_length");
}

/* Every prefix of a packet, stated whole (cut by the capture) or stated as
 * cut: no over-read (guard page), the walk ends. */
Test(sctp_walk, every_prefix)
{
    buf p;
    header(&p);
    chunk(&p, SL_SCTP_SACK, 0, "\0\0\0\1\0\1\0\0\0\0\0\0", 12, true);
    data(&p, 7, 1, BE, MSG, sizeof MSG - 1);
    idata(&p, 9, 1, 4, SL_SCTP_FLAG_B, 0, "abcdef", 6);
    for (size_t n = 0; n <= p.n; n++) {
        for (int cut = 0; cut < 2; cut++) {
            sl_guarded g;
            const uint8_t *d = sl_guard(&g, p.b, n);
            sl_packet pkt = {0};
            sl_anomaly an = {0};
            size_t stated = cut ? p.n : n;
            if (sl_sctp_decode(sl_slice_make(d, n), stated, &pkt, &an) == SL_OK) {
                cr_assert_eq(pkt.truncated, n < stated);
                sl_sctp_iter it;
                sl_sctp_iter_init(&it, pkt.payload, pkt.truncated ? SIZE_MAX : pkt.payload.len);
                sl_sctp_chunk c;
                int k = 0;
                while (sl_sctp_next_chunk(&it, &c, &an)) {
                    sl_sctp_data dd;
                    if (c.type == SL_SCTP_DATA || c.type == SL_SCTP_IDATA)
                        sl_sctp_data_parse(&c, &dd, &an);
                    cr_assert_lt(++k, 4);
                }
            } else {
                cr_assert(an.kind);
            }
            sl_guard_free(&g);
        }
    }
}

Test(sctp_walk, idata_fields)
{
    buf p;
    header(&p);
    idata(&p, 9, 3, 44, SL_SCTP_FLAG_E | SL_SCTP_FLAG_U, 2, "tail", 4);
    sl_packet pkt = {0};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sctp_decode(sl_slice_make(p.b, p.n), p.n, &pkt, &an), SL_OK);
    sl_sctp_iter it;
    sl_sctp_iter_init(&it, pkt.payload, pkt.payload.len);
    sl_sctp_chunk c;
    cr_assert(sl_sctp_next_chunk(&it, &c, &an));
    sl_sctp_data d;
    cr_assert_eq(sl_sctp_data_parse(&c, &d, &an), SL_OK);
    cr_assert(d.idata && d.end && !d.begin && d.unordered);
    cr_assert_eq(d.tsn, 9);
    cr_assert_eq(d.sid, 3);
    cr_assert_eq(d.ssn, 44);
    cr_assert_eq(d.fsn, 2);
    cr_assert_eq(d.payload.len, 4);
}

/* ---- the association table ---- */

#define MAX_REC 32

typedef struct rec {
    int n;
    char msg[MAX_REC][512];
    size_t len[MAX_REC];
    const uint8_t *ptr[MAX_REC];
    sl_test_anomalies anom;
} rec;

static void on_message(void *user, const uint8_t *m, size_t len, sl_time ts, const sl_flow *flow,
                       bool truncated)
{
    (void)ts;
    (void)truncated;
    rec *r = user;
    cr_assert_eq(flow->proto, SL_IPPROTO_SCTP);
    cr_assert_lt(r->n, MAX_REC);
    snprintf(r->msg[r->n], sizeof r->msg[0], "%.*s", (int)len, (const char *)m);
    r->len[r->n] = len;
    r->ptr[r->n] = m;
    r->n++;
}

static void on_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail)
{
    (void)ts;
    cr_assert_not_null(detail);
    cr_assert_eq(flow->proto, SL_IPPROTO_SCTP);
    rec *r = user;
    sl_test_anomaly_note(&r->anom, kind);
}

static sl_sctp_table *table(rec *r, size_t max_assocs, size_t max_bytes, size_t max_message)
{
    memset(r, 0, sizeof *r);
    sl_sctp_config cfg;
    sl_sctp_config_default(&cfg);
    cfg.max_assocs = max_assocs;
    cfg.max_bytes = max_bytes;
    cfg.max_message = max_message;
    sl_sctp_callbacks cb = {.on_message = on_message, .on_anomaly = on_anomaly, .user = r};
    sl_sctp_table *t = sl_sctp_new(&cfg, &cb);
    cr_assert_not_null(t);
    return t;
}

/* Sends p from host `from` (0 or 1) of pair `pair` at time ts (seconds). */
static void send_pkt(sl_sctp_table *t, const buf *p, int from, int pair, int ts)
{
    sl_packet pkt = {0};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sctp_decode(sl_slice_make(p->b, p->n), p->n, &pkt, &an), SL_OK);
    sl_addr a = {.family = 4, .bytes = {10, 0, 0, 1}},
            b = {.family = 4, .bytes = {10, 0, 1, (uint8_t)pair}};
    pkt.src = from ? b : a;
    pkt.dst = from ? a : b;
    if (from) {
        uint16_t s = pkt.sport;
        pkt.sport = pkt.dport;
        pkt.dport = s;
    }
    sl_sctp_packet(t, &pkt, (sl_time)ts * SL_NS_PER_SEC);
}

Test(sctp_assoc, whole_messages_in_place_and_duplicates_dropped)
{
    rec r;
    sl_sctp_table *t = table(&r, 16, 1 << 20, 4096);
    buf p;
    header(&p);
    data(&p, 100, 0, BE, MSG, sizeof MSG - 1);
    data(&p, 101, 0, BE, "two", 3);
    send_pkt(t, &p, 0, 0, 1);
    cr_assert_eq(r.n, 2);
    cr_assert_str_eq(r.msg[0], MSG);
    cr_assert(r.ptr[0] >= p.b && r.ptr[0] < p.b + p.n, "delivered from the packet");
    cr_assert_str_eq(r.msg[1], "two");
    send_pkt(t, &p, 0, 0, 2); /* retransmitted: both TSNs again */
    header(&p);
    data(&p, 100, 0, BE, "x", 1); /* TSN 100 from the other side is new */
    send_pkt(t, &p, 1, 0, 2);
    cr_assert_eq(r.n, 3);
    sl_sctp_stats st;
    sl_sctp_get_stats(t, &st);
    cr_assert_eq(st.duplicates, 2);
    cr_assert_eq(st.associations, 1);
    cr_assert_eq(st.data_chunks, 5);
    sl_sctp_destroy(t);
}

Test(sctp_assoc, fragments_out_of_order_and_retransmitted)
{
    rec r;
    sl_sctp_table *t = table(&r, 16, 1 << 20, 4096);
    size_t base = sl_sctp_memory(t);
    buf p;
    const size_t n = sizeof MSG - 1, k = n / 3;
    header(&p);
    data(&p, 0xfffffffe, 2, SL_SCTP_FLAG_B, MSG, k); /* TSNs wrap around */
    send_pkt(t, &p, 0, 0, 1);
    header(&p);
    data(&p, 0, 2, SL_SCTP_FLAG_E, MSG + 2 * k, n - 2 * k);
    send_pkt(t, &p, 0, 0, 1);
    send_pkt(t, &p, 0, 0, 1); /* the last fragment again */
    cr_assert_eq(r.n, 0);
    cr_assert_gt(sl_sctp_memory(t), base);
    header(&p);
    data(&p, 0xffffffff, 2, 0, MSG + k, k);
    send_pkt(t, &p, 0, 0, 1);
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.msg[0], MSG);
    send_pkt(t, &p, 0, 0, 1); /* the middle again: nothing more */
    cr_assert_eq(r.n, 1);
    sl_sctp_stats st;
    sl_sctp_get_stats(t, &st);
    cr_assert_eq(st.reassembled, 1);
    cr_assert_eq(st.duplicates, 2);
    cr_assert_eq(st.buffered, 0);
    cr_assert_eq(sl_sctp_memory(t), base + (sl_sctp_memory(t) - base)); /* only the entry */
    sl_sctp_flush(t);
    cr_assert_eq(sl_sctp_memory(t), base);
    cr_assert_eq(r.anom.n, 0);
    sl_sctp_destroy(t);
}

Test(sctp_assoc, idata_interleaved)
{
    rec r;
    sl_sctp_table *t = table(&r, 16, 1 << 20, 4096);
    buf p;
    header(&p);
    idata(&p, 1, 0, 7, SL_SCTP_FLAG_B, 0, "AAA", 3);
    idata(&p, 2, 1, 7, SL_SCTP_FLAG_B, 0, "bbb", 3); /* same MID, another stream */
    send_pkt(t, &p, 0, 0, 1);
    header(&p);
    idata(&p, 3, 1, 7, SL_SCTP_FLAG_E, 1, "BBB", 3);
    idata(&p, 4, 0, 7, 0, 1, "aaa", 3);
    idata(&p, 5, 0, 7, SL_SCTP_FLAG_E, 2, "!", 1);
    send_pkt(t, &p, 0, 0, 1);
    cr_assert_eq(r.n, 2);
    cr_assert_str_eq(r.msg[0], "bbbBBB");
    cr_assert_str_eq(r.msg[1], "AAAaaa!");
    sl_sctp_destroy(t);
}

Test(sctp_assoc, message_over_the_cap_is_dropped_with_its_tail)
{
    rec r;
    sl_sctp_table *t = table(&r, 16, 1 << 20, 256);
    static char big[200];
    memset(big, 'x', sizeof big);
    buf p;
    header(&p);
    data(&p, 10, 0, SL_SCTP_FLAG_B, big, sizeof big);
    send_pkt(t, &p, 0, 0, 1);
    header(&p);
    data(&p, 11, 0, 0, big, sizeof big);
    send_pkt(t, &p, 0, 0, 1);
    header(&p);
    data(&p, 12, 0, SL_SCTP_FLAG_E, big, 10);
    data(&p, 13, 0, BE, "after", 5);
    send_pkt(t, &p, 0, 0, 1);
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.msg[0], "after");
    cr_assert_eq(r.anom.n, 1);
    cr_assert_str_eq(r.anom.kinds[0], "sctp_message_too_large");
    sl_sctp_stats st;
    sl_sctp_get_stats(t, &st);
    cr_assert_eq(st.buffered, 0);
    cr_assert_eq(st.too_large, 1);
    sl_sctp_destroy(t);
}

Test(sctp_assoc, stale_fragments_are_dropped_behind_the_window)
{
    rec r;
    sl_sctp_table *t = table(&r, 16, 1 << 20, 4096);
    buf p;
    header(&p);
    data(&p, 1, 0, SL_SCTP_FLAG_B, "lost", 4);
    send_pkt(t, &p, 0, 0, 1);
    header(&p);
    data(&p, 5000, 0, BE, "later", 5);
    send_pkt(t, &p, 0, 0, 1);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.anom.n, 1);
    cr_assert_str_eq(r.anom.kinds[0], "sctp_reassembly_gap");
    sl_sctp_destroy(t);
}

Test(sctp_assoc, caps_evict_and_abort_closes)
{
    rec r;
    sl_sctp_table *t = table(&r, 2, 1 << 20, 4096);
    buf p;
    for (int pair = 0; pair < 3; pair++) {
        header(&p);
        data(&p, 1, 0, SL_SCTP_FLAG_B, "held", 4);
        send_pkt(t, &p, 0, pair, 1);
    }
    sl_sctp_stats st;
    sl_sctp_get_stats(t, &st);
    cr_assert_eq(st.open, 2);
    cr_assert_eq(st.evictions, 1);
    cr_assert_eq(r.anom.n, 2); /* the eviction, and the fragment it dropped */
    cr_assert_str_eq(r.anom.kinds[0], "sctp_assoc_evicted");
    header(&p);
    chunk(&p, SL_SCTP_ABORT, 0, "", 0, true);
    send_pkt(t, &p, 1, 2, 2);
    sl_sctp_get_stats(t, &st);
    cr_assert_eq(st.open, 1);
    cr_assert_eq(st.closed, 1);
    sl_sctp_expire(t, 1000 * SL_NS_PER_SEC);
    sl_sctp_get_stats(t, &st);
    cr_assert_eq(st.open, 0);
    cr_assert_eq(st.timeouts, 1);
    sl_sctp_destroy(t);
}

Test(sctp_assoc, memory_cap_holds)
{
    rec r;
    sl_sctp_table *t = table(&r, 1000, 64 * 1024, 1 << 20);
    static char chunkdata[1200];
    memset(chunkdata, 'z', sizeof chunkdata);
    buf p;
    for (int i = 0; i < 200; i++) {
        header(&p);
        data(&p, (uint32_t)i * 2, 0, SL_SCTP_FLAG_B, chunkdata, sizeof chunkdata);
        send_pkt(t, &p, 0, i % 50, 1);
        cr_assert_leq(sl_sctp_memory(t), 64 * 1024);
    }
    sl_sctp_stats st;
    sl_sctp_get_stats(t, &st);
    cr_assert_gt(st.evictions, 0);
    sl_sctp_destroy(t);
}

Test(sctp_assoc, init_starts_the_tsns_again)
{
    rec r;
    sl_sctp_table *t = table(&r, 16, 1 << 20, 4096);
    buf p;
    header(&p);
    data(&p, 5, 0, BE, "one", 3);
    send_pkt(t, &p, 0, 0, 1);
    header(&p);
    chunk(&p, SL_SCTP_INIT, 0, "\0\0\0\1\0\1\0\0\0\1\0\1\0\0\0\5", 16, true);
    send_pkt(t, &p, 0, 0, 2);
    header(&p);
    data(&p, 5, 0, BE, "again", 5); /* same TSN, new association */
    send_pkt(t, &p, 0, 0, 3);
    cr_assert_eq(r.n, 2);
    sl_sctp_destroy(t);
}
