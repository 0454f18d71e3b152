/* --extract's provenance: the frames the reassembly layers name for each
 * message they deliver (defrag, TCP with its framing buffer, held segments
 * and retransmissions). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "sipsleuth/defrag.h"
#include "sipsleuth/tcp_stream.h"
#include "tcp_segments.h"

static sl_frames frames;

#define MAX_MSGS 8
typedef struct got {
    int n;
    uint64_t no[MAX_MSGS][8];
    uint32_t count[MAX_MSGS];
} got;

static void on_message(void *user, const uint8_t *msg, size_t len, sl_time ts, const sl_flow *flow)
{
    (void)msg;
    (void)len;
    (void)ts;
    (void)flow;
    got *g = user;
    cr_assert_lt(g->n, MAX_MSGS);
    cr_assert_leq(frames.n, 8);
    g->count[g->n] = frames.n;
    memcpy(g->no[g->n], frames.no, frames.n * sizeof frames.no[0]);
    g->n++;
}

/* Message i names exactly the frames given (in any order), 0-terminated. */
static void expect(const got *g, int i, const uint64_t *want)
{
    uint32_t n = 0;
    while (want[n])
        n++;
    cr_assert_eq(g->count[i], n, "message %d: %u frames, want %u", i, g->count[i], n);
    for (uint32_t k = 0; k < n; k++) {
        bool found = false;
        for (uint32_t j = 0; j < n; j++)
            found |= g->no[i][j] == want[k];
        cr_assert(found, "message %d lacks frame %llu", i, (unsigned long long)want[k]);
    }
}

static const char *msg(int i)
{
    static char buf[4][128];
    snprintf(buf[i], sizeof buf[i],
             "OPTIONS sip:b@b.example SIP/2.0\r\nCall-ID: c%d\r\nContent-Length: 4\r\n\r\nbody", i);
    return buf[i];
}

static void segment(sl_tcp_table *t, uint64_t frame, uint32_t seq, const char *data, size_t len)
{
    sl_test_send_segment(
        t, &(sl_test_segment){.seq = seq, .data = data, .len = len, .kept = len, .frame = frame});
}

Test(frames, tcp_segments_shared_by_two_messages_and_a_retransmission)
{
    got g = {0};
    sl_tcp_config cfg;
    sl_tcp_config_default(&cfg);
    cfg.frames = &frames;
    sl_tcp_callbacks cb = {.on_message = on_message, .user = &g};
    sl_tcp_table *t = sl_tcp_new(&cfg, &cb);
    char all[512];
    size_t a = strlen(msg(0)), b = strlen(msg(1)), c = strlen(msg(2));
    snprintf(all, sizeof all, "%s%s%s", msg(0), msg(1), msg(2));
    /* frame 1: A's start; 2: A's end and B's start; 3: B's end and all of C;
     * 4: a retransmission of 3; then frame 6 arrives before frame 5 */
    segment(t, 1, 100, all, 10);
    segment(t, 2, 110, all + 10, a - 10 + 5);
    segment(t, 3, (uint32_t)(105 + a), all + a + 5, b - 5 + c);
    segment(t, 4, (uint32_t)(105 + a), all + a + 5, b - 5 + c);
    cr_assert_eq(g.n, 3);
    expect(&g, 0, (uint64_t[]){1, 2, 0});
    expect(&g, 1, (uint64_t[]){2, 3, 0});
    expect(&g, 2, (uint64_t[]){3, 0});
    uint32_t end = (uint32_t)(100 + a + b + c);
    segment(t, 6, end + 20, msg(3) + 20, strlen(msg(3)) - 20);
    segment(t, 5, end, msg(3), 20);
    cr_assert_eq(g.n, 4);
    expect(&g, 3, (uint64_t[]){5, 6, 0});
    sl_tcp_destroy(t);
}

Test(frames, defrag_names_the_fragments_whose_bytes_were_used)
{
    sl_defrag_config cfg;
    sl_defrag_config_default(&cfg);
    cfg.frames = &frames;
    sl_defrag *d = sl_defrag_new(&cfg, NULL, NULL);
    uint8_t data[64];
    memset(data, 'x', sizeof data);
    sl_packet p;
    memset(&p, 0, sizeof p);
    p.src = (sl_addr){.family = 4, .bytes = {10, 0, 0, 1}};
    p.dst = (sl_addr){.family = 4, .bytes = {10, 0, 0, 2}};
    p.ip_proto = SL_IPPROTO_UDP;
    p.frag = (sl_ip_frag){.is_fragment = true, .more = true, .id = 7, .offset = 0};
    p.ip_payload = sl_slice_make(data, 32);
    p.frame = 11;
    sl_slice out;
    cr_assert_eq(sl_defrag_add(d, &p, 1, &out), SL_PARTIAL);
    p.frame = 12; /* the same fragment again: no new byte */
    cr_assert_eq(sl_defrag_add(d, &p, 1, &out), SL_PARTIAL);
    p.frag = (sl_ip_frag){.is_fragment = true, .more = false, .id = 7, .offset = 32};
    p.frame = 13;
    cr_assert_eq(sl_defrag_add(d, &p, 1, &out), SL_OK);
    cr_assert_eq(frames.n, 2);
    cr_assert_eq(frames.no[0], 11);
    cr_assert_eq(frames.no[1], 13);
    sl_defrag_destroy(d);
}
