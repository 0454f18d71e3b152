#include <criterion/criterion.h>

#include "../../src/auth_watch.h"

#define SEC SL_NS_PER_SEC

typedef struct closed {
    uint64_t count;
    sl_time first, last, at;
    bool evicted;
    uint8_t who;
} closed;

typedef struct close_log {
    closed c[16];
    size_t n;
} log_t;

static void on_close(void *user, const sl_src_window *w, sl_time ts, bool evicted)
{
    log_t *l = user;
    cr_assert_lt(l->n, 16);
    l->c[l->n++] = (closed){w->count, w->first, w->last, ts, evicted, w->src.bytes[3]};
}

static sl_addr addr(uint8_t last)
{
    sl_addr a = {.family = 4, .bytes = {192, 0, 2, last}};
    return a;
}

Test(window_table, one_window_per_source_and_period)
{
    log_t l = {0};
    sl_window_table t;
    cr_assert(sl_window_table_init(&t, 8, 60 * SEC, on_close, &l));
    sl_addr a = addr(1), b = addr(2);
    for (int i = 0; i < 12; i++)
        cr_assert_not_null(sl_window_table_hit(&t, &a, 10 * SEC + i * SEC));
    sl_window_table_hit(&t, &b, 30 * SEC);
    cr_assert_eq(l.n, 0, "nothing closes inside the window");
    /* a's window is [10 s, 70 s): a hit at exactly 70 s opens the next one */
    sl_window_table_hit(&t, &a, 70 * SEC);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.c[0].count, 12);
    cr_assert_eq(l.c[0].first, 10 * SEC);
    cr_assert_eq(l.c[0].last, 21 * SEC);
    cr_assert_eq(l.c[0].at, 70 * SEC, "closed when due: first + window");
    sl_window_table_advance(&t, 95 * SEC);
    cr_assert_eq(l.n, 2, "b's window closes at 90 s");
    cr_assert_eq(l.c[1].who, 2);
    cr_assert_eq(l.c[1].at, 90 * SEC);
    sl_window_table_flush(&t, 100 * SEC);
    cr_assert_eq(l.n, 3);
    cr_assert_eq(l.c[2].count, 1);
    cr_assert_eq(l.c[2].at, 100 * SEC, "at the end of input: closed then");
    cr_assert_eq(t.lru.count, 0);
    sl_window_table_free(&t);
}

Test(window_table, full_table_closes_oldest_early)
{
    log_t l = {0};
    sl_window_table t;
    cr_assert(sl_window_table_init(&t, 2, 60 * SEC, on_close, &l));
    sl_addr a = addr(1), b = addr(2), c = addr(3);
    sl_window_table_hit(&t, &a, 1 * SEC);
    sl_window_table_hit(&t, &b, 2 * SEC);
    sl_window_table_hit(&t, &a, 3 * SEC); /* a stays the oldest: windows keep their opening order */
    sl_window_table_hit(&t, &c, 4 * SEC);
    cr_assert_eq(l.n, 1);
    cr_assert(l.c[0].evicted);
    cr_assert_eq(l.c[0].who, 1);
    cr_assert_eq(l.c[0].count, 2);
    cr_assert_eq(l.c[0].at, 4 * SEC);
    cr_assert_eq(t.lru.count, 2);
    size_t mem = sl_window_table_memory(&t);
    cr_assert_geq(mem, 2 * sizeof(sl_src_window));
    sl_window_table_free(&t); /* frees open windows without reporting them */
    cr_assert_eq(l.n, 1);
}

Test(scanner, user_agents)
{
    cr_assert(sl_scanner_user_agent(SL_SLICE_LIT("friendly-scanner")));
    cr_assert(sl_scanner_user_agent(SL_SLICE_LIT("SIPVicious 0.3.4")));
    cr_assert(sl_scanner_user_agent(SL_SLICE_LIT("sipcli/v1.8")));
    cr_assert(sl_scanner_user_agent(SL_SLICE_LIT("x iWar y")));
    cr_assert_not(sl_scanner_user_agent(SL_SLICE_LIT("Asterisk PBX 18.0")));
    cr_assert_not(sl_scanner_user_agent(SL_SLICE_LIT("friendly-scanne")));
    cr_assert_not(sl_scanner_user_agent(SL_SLICE_LIT("")));
}

/* Every agent, in any case, at every offset of strings from 1 to 40 bytes
 * long: the search goes 16 positions at a time and pads short strings. */
Test(scanner, every_agent_at_every_offset)
{
    static const char *agents[] = {
        "friendly-scanner", "SIPVicious", "sipcli",          "Sip-Scan", "sipscan",
        "SundayDDR",        "iwar",       "VaxSIPUserAgent", "pplsip"};
    char buf[64];
    for (size_t a = 0; a < sizeof agents / sizeof *agents; a++) {
        size_t n = strlen(agents[a]);
        for (size_t off = 0; off + n <= 40; off++) {
            for (size_t tail = 0; off + n + tail <= 40; tail += 7) {
                memset(buf, 'x', sizeof buf);
                memcpy(buf + off, agents[a], n);
                sl_slice s = sl_slice_make((const uint8_t *)buf, off + n + tail);
                cr_assert(sl_scanner_user_agent(s), "%s at %zu of %zu", agents[a], off, s.len);
                s.len--; /* cut the last letter when there is no tail */
                if (tail == 0)
                    cr_assert_not(sl_scanner_user_agent(s), "%s cut at %zu", agents[a], off);
            }
        }
    }
    /* first letters everywhere, never a whole agent */
    memset(buf, 0, sizeof buf);
    for (size_t i = 0; i < 40; i++)
        buf[i] = "sfivpSFIVP"[i % 10];
    cr_assert_not(sl_scanner_user_agent(sl_slice_make((const uint8_t *)buf, 40)));
    cr_assert_not(sl_scanner_user_agent(SL_SLICE_LIT("s")));
}
