#include <criterion/criterion.h>

#include "../../src/handoff.h"

#include <pthread.h>
#include <string.h>

/* What the consumer saw: each record's kind and first word, in order. */
typedef struct seen {
    pthread_t thread;
    uint32_t kinds[20000];
    uint64_t values[20000];
    size_t n;
    bool bytes_ok; /* every record's payload came through whole */
} seen;

static void record(void *user, uint32_t kind, void *rec)
{
    seen *s = user;
    s->thread = pthread_self();
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    /* A record of kind k > 1 holds v then k bytes of (v + i) & 0xff. */
    const uint8_t *b = (const uint8_t *)rec + sizeof v;
    for (uint32_t i = 0; kind > 1 && i < kind; i++)
        if (b[i] != (uint8_t)(v + i))
            s->bytes_ok = false;
    s->kinds[s->n] = kind;
    s->values[s->n++] = v;
}

static void put(sl_handoff *h, uint32_t kind, uint64_t v)
{
    size_t len = sizeof v + (kind > 1 ? kind : 0);
    uint8_t *r = sl_handoff_reserve(h, len + 100); /* reserves more than it uses */
    cr_assert_not_null(r);
    memcpy(r, &v, sizeof v);
    for (uint32_t i = 0; kind > 1 && i < kind; i++)
        r[sizeof v + i] = (uint8_t)(v + i);
    sl_handoff_commit(h, kind, len);
}

Test(handoff, records_arrive_in_order_on_the_consumer_thread)
{
    static seen s = {.bytes_ok = true};
    /* 4 KiB batches: 20 000 records of up to ~1 KiB fill thousands of them,
     * so the producer waits for batches to come back many times. */
    sl_handoff *h = sl_handoff_new(4096, record, &s);
    cr_assert_not_null(h);
    for (uint64_t i = 0; i < 20000; i++)
        put(h, (uint32_t)(1 + (i * 7919) % 1000), i);
    sl_handoff_drain(h);
    cr_expect_eq(s.n, 20000);
    for (size_t i = 0; i < s.n; i++) {
        cr_expect_eq(s.values[i], i, "record %zu out of order", i);
        cr_expect_eq(s.kinds[i], 1 + (i * 7919) % 1000);
    }
    cr_expect(s.bytes_ok);
    cr_expect(!pthread_equal(s.thread, pthread_self()));
    sl_handoff_free(h);
}

Test(handoff, drain_waits_for_a_partial_batch_and_free_for_the_rest)
{
    static seen s = {.bytes_ok = true};
    sl_handoff *h = sl_handoff_new(1 << 16, record, &s);
    put(h, 1, 41);
    sl_handoff_drain(h); /* a batch far from full is handed over too */
    cr_expect_eq(s.n, 1);
    cr_expect_eq(s.values[0], 41);
    put(h, 1, 42);
    put(h, 1, 43);
    sl_handoff_free(h); /* consumes both before the thread stops */
    cr_expect_eq(s.n, 3);
    cr_expect_eq(s.values[2], 43);
}

Test(handoff, an_uncommitted_reservation_is_taken_back)
{
    static seen s = {.bytes_ok = true};
    sl_handoff *h = sl_handoff_new(1 << 16, record, &s);
    memset(sl_handoff_reserve(h, 500), 0xee, 500); /* abandoned, as a datagram that is not SIP */
    put(h, 1, 7);
    sl_handoff_drain(h);
    cr_expect_eq(s.n, 1);
    cr_expect_eq(s.values[0], 7);
    sl_handoff_free(h);
}

Test(handoff, a_record_larger_than_a_batch_is_refused)
{
    static seen s = {.bytes_ok = true};
    sl_handoff *h = sl_handoff_new(4096, record, &s);
    cr_expect_null(sl_handoff_reserve(h, 4096));
    cr_expect_not_null(sl_handoff_reserve(h, 4096 - 16));
    sl_handoff_free(h);
    cr_expect_eq(s.n, 0);
}
