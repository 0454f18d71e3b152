/* The SDP parser's memo of media sections: a parse that the memo helps
 * gives exactly what a parse without it gives, its slices in the new body
 * (never in the memo), and a section with a finding is never kept. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/sdp.h"

/* Equal slices: the same bytes at the same offset of their bodies. */
static void same_slice(sl_slice a, const uint8_t *a_body, sl_slice b, const uint8_t *b_body)
{
    cr_assert_eq(a.len, b.len);
    if (a.len) {
        cr_assert_eq(a.ptr - a_body, b.ptr - b_body);
        cr_assert_eq(memcmp(a.ptr, b.ptr, a.len), 0);
    }
}

static void same_sdp(const sl_sdp *a, const uint8_t *a_body, const sl_sdp *b, const uint8_t *b_body)
{
    cr_assert_eq(a->n_media, b->n_media);
    cr_assert_eq(a->dir, b->dir);
    cr_assert_eq(a->dropped, b->dropped);
    same_slice(a->conn, a_body, b->conn, b_body);
    for (size_t i = 0; i < a->n_media; i++) {
        const sl_sdp_media *x = &a->media[i], *y = &b->media[i];
        same_slice(x->media, a_body, y->media, b_body);
        same_slice(x->proto, a_body, y->proto, b_body);
        same_slice(x->fmts, a_body, y->fmts, b_body);
        same_slice(x->conn, a_body, y->conn, b_body);
        cr_assert_eq(x->port, y->port);
        cr_assert_eq(x->port_count, y->port_count);
        cr_assert_eq(x->dir, y->dir);
        cr_assert_eq(x->ptime, y->ptime);
        cr_assert_eq(x->n_rtpmap, y->n_rtpmap);
        for (size_t k = 0; k < x->n_rtpmap; k++) {
            cr_assert_eq(x->rtpmap[k].pt, y->rtpmap[k].pt);
            cr_assert_eq(x->rtpmap[k].rate, y->rtpmap[k].rate);
            cr_assert_eq(x->rtpmap[k].channels, y->rtpmap[k].channels);
            same_slice(x->rtpmap[k].name, a_body, y->rtpmap[k].name, b_body);
        }
    }
}

/* Parses text with memo and without; checks both agree, and that every
 * slice of the memo's parse lies in the body. Returns the memo's anomaly. */
static sl_anomaly parse_both(sl_sdp_memo *memo, const char *text)
{
    sl_guarded g1, g2;
    size_t n = strlen(text);
    const uint8_t *b1 = sl_guard(&g1, text, n), *b2 = sl_guard(&g2, text, n);
    sl_sdp with, without;
    sl_anomaly a1 = {0}, a2 = {0};
    sl_sdp_parse_memo(sl_slice_make(b1, n), &with, memo, &a1);
    sl_sdp_parse(sl_slice_make(b2, n), &without, &a2);
    cr_assert_eq(a1.kind, a2.kind);
    cr_assert_eq(a1.offset, a2.offset);
    same_sdp(&with, b1, &without, b2);
    for (size_t i = 0; i < with.n_media; i++)
        for (size_t k = 0; k < with.media[i].n_rtpmap; k++) {
            const uint8_t *p = with.media[i].rtpmap[k].name.ptr;
            cr_assert(p >= b1 && p < b1 + n, "a name outside the body");
        }
    sl_guard_free(&g1);
    sl_guard_free(&g2);
    return a1;
}

/* A call's offer: its own address and port, then what a trunk repeats. */
static void offer(char *buf, size_t cap, unsigned port, const char *rest)
{
    snprintf(buf, cap,
             "v=0\r\no=- %u 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\n"
             "t=0 0\r\nm=audio %u RTP/AVP 0 8 101\r\n%s",
             port * 7, port, rest);
}

static const char REST[] = "a=rtpmap:0 PCMU/8000\r\n"
                           "a=rtpmap:8 PCMA/8000\r\n"
                           "a=rtpmap:101 telephone-event/8000/1\r\n"
                           "a=fmtp:101 0-16\r\n"
                           "a=ptime:20\r\n"
                           "c=IN IP4 203.0.113.9\r\n"
                           "a=sendonly\r\n";

Test(sdp_memo, calls_with_their_own_ports_reuse_the_section)
{
    sl_sdp_memo memo = {0};
    char text[512];
    for (unsigned port = 40000; port < 40010; port += 2) {
        offer(text, sizeof text, port, REST);
        cr_assert_eq(parse_both(&memo, text).kind, SL_ANOM_NONE);
    }
    /* kept once, found after: one slot used */
    cr_assert_neq(memo.slot[0].len, 0);
    cr_assert_eq(memo.slot[1].len, 0);
}

Test(sdp_memo, a_section_with_a_finding_is_not_kept)
{
    sl_sdp_memo memo = {0};
    char text[512];
    offer(text, sizeof text, 5004, "a=rtpmap:x PCMU/8000\r\na=sendrecv\r\n");
    for (int i = 0; i < 3; i++)
        cr_assert_eq(parse_both(&memo, text).kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_eq(memo.slot[0].len, 0);
    /* a malformed line before the m= line does not keep its section out */
    offer(text, sizeof text, 5006, REST);
    text[0] = 'X';
    cr_assert_eq(parse_both(&memo, text).kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_neq(memo.slot[0].len, 0);
    cr_assert_eq(parse_both(&memo, text).kind, SL_ANOM_SDP_MALFORMED);
}

Test(sdp_memo, a_rest_with_another_m_line_is_not_kept_but_its_last_section_is)
{
    sl_sdp_memo memo = {0};
    static const char two[] = "v=0\r\nc=IN IP4 192.0.2.1\r\n"
                              "m=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                              "m=video 5006 RTP/AVP 31\r\na=recvonly\r\n";
    for (int i = 0; i < 3; i++)
        cr_assert_eq(parse_both(&memo, two).kind, SL_ANOM_NONE);
    cr_assert_eq(memo.slot[0].len, strlen("a=recvonly\r\n"));
    cr_assert_eq(memo.slot[1].len, 0);
}

Test(sdp_memo, many_shapes_take_the_slots_in_turn)
{
    sl_sdp_memo memo = {0};
    char text[512], rest[128];
    for (unsigned round = 0; round < 3; round++)
        for (unsigned ptime = 10; ptime < 17; ptime++) {
            snprintf(rest, sizeof rest, "a=rtpmap:0 PCMU/8000\r\na=ptime:%u\r\n", ptime);
            offer(text, sizeof text, 6000 + ptime, rest);
            cr_assert_eq(parse_both(&memo, text).kind, SL_ANOM_NONE);
        }
}

Test(sdp_memo, edges_parse_the_same)
{
    static const char *const bodies[] = {
        "v=0\r\nm=audio 1 RTP/AVP 0\r\n",                         /* nothing after the m= line */
        "v=0\r\nm=audio 1 RTP/AVP 0\r\n\r\n\r\n",                 /* blank lines only */
        "v=0\nm=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8000",         /* LF only, no last LF */
        "v=0\r\nm=audio x RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", /* a bad m= line */
        "v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        "v=0\r\nm=audio 2 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
    };
    sl_sdp_memo memo = {0};
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
            parse_both(&memo, bodies[i]);
}
