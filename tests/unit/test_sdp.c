/* The SDP parser (RFC 8866), the multipart part finder (RFC 2046) and the
 * packed copy the dialog tracker keeps. Inputs sit in guarded buffers: a
 * read past the end faults. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/media.h"

#define assert_slice(s, str)                                                                       \
    cr_assert(sl_slice_eq((s), (str)), "got \"%.*s\", want \"%s\"", (int)(s).len,                  \
              (const char *)(s).ptr, (str))

static sl_anomaly parse(sl_guarded *g, const char *text, sl_sdp *sdp)
{
    sl_anomaly an = {0};
    sl_sdp_parse(sl_slice_make(sl_guard(g, text, strlen(text)), strlen(text)), sdp, &an);
    return an;
}

static const char OFFER[] = "v=0\r\n"
                            "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
                            "s=-\r\n"
                            "c=IN IP4 192.0.2.10\r\n"
                            "t=0 0\r\n"
                            "m=audio 49170 RTP/AVP 0 8 97 101\r\n"
                            "a=rtpmap:0 PCMU/8000\r\n"
                            "a=rtpmap:97 opus/48000/2\r\n"
                            "a=rtpmap:101 telephone-event/8000\r\n"
                            "a=fmtp:101 0-15\r\n"
                            "a=ptime:20\r\n"
                            "m=video 51372 RTP/AVP 31\r\n"
                            "c=IN IP4 192.0.2.11/127\r\n"
                            "a=recvonly\r\n";

Test(sdp, offer_with_two_streams)
{
    sl_guarded g;
    sl_sdp s;
    sl_anomaly an = parse(&g, OFFER, &s);
    cr_assert_eq(an.kind, SL_ANOM_NONE);
    assert_slice(s.conn, "192.0.2.10");
    cr_assert_eq(s.n_media, 2);
    const sl_sdp_media *a = &s.media[0], *v = &s.media[1];
    assert_slice(a->media, "audio");
    cr_assert_eq(a->port, 49170);
    cr_assert_eq(a->port_count, 0);
    assert_slice(a->proto, "RTP/AVP");
    assert_slice(a->fmts, "0 8 97 101");
    cr_assert_eq(a->n_rtpmap, 3);
    cr_assert_eq(a->rtpmap[1].pt, 97);
    assert_slice(a->rtpmap[1].name, "opus");
    cr_assert_eq(a->rtpmap[1].rate, 48000);
    cr_assert_eq(a->rtpmap[1].channels, 2);
    cr_assert_eq(a->rtpmap[2].channels, 0);
    cr_assert_eq(a->ptime, 20);
    cr_assert_eq(sl_sdp_media_dir(&s, 0), SL_SDP_SENDRECV);
    assert_slice(sl_sdp_media_conn(&s, 0), "192.0.2.10");
    assert_slice(v->media, "video");
    assert_slice(sl_sdp_media_conn(&s, 1), "192.0.2.11");
    cr_assert_eq(sl_sdp_media_dir(&s, 1), SL_SDP_RECVONLY);
    cr_assert_eq(v->ptime, 0);
    cr_assert_not(sl_sdp_is_hold(&s));
    sl_guard_free(&g);
}

/* LF line ends, no newline at the end, a port count, the session's direction. */
Test(sdp, bare_lf_and_no_final_newline)
{
    sl_guarded g;
    sl_sdp s;
    sl_anomaly an = parse(&g,
                          "v=0\nc=IN IP6 2001:db8::5\na=sendonly\nm=audio 5000/2 RTP/AVP 18\n"
                          "a=ptime:30.5",
                          &s);
    cr_assert_eq(an.kind, SL_ANOM_NONE);
    assert_slice(s.conn, "2001:db8::5");
    cr_assert_eq(s.n_media, 1);
    cr_assert_eq(s.media[0].port, 5000);
    cr_assert_eq(s.media[0].port_count, 2);
    cr_assert_eq(s.media[0].ptime, 30);
    cr_assert_eq(sl_sdp_media_dir(&s, 0), SL_SDP_SENDONLY);
    cr_assert(sl_sdp_is_hold(&s));
    sl_guard_free(&g);
}

Test(sdp, hold_by_zero_address_not_by_disabled_stream)
{
    sl_guarded g;
    sl_sdp s;
    parse(&g, "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n", &s);
    cr_assert(sl_sdp_is_hold(&s));
    sl_guard_free(&g);
    parse(&g, "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 0 RTP/AVP 0\r\na=inactive\r\n", &s);
    cr_assert_not(sl_sdp_is_hold(&s));
    sl_guard_free(&g);
}

Test(sdp, missing_version_is_malformed)
{
    sl_guarded g;
    sl_sdp s;
    sl_anomaly an = parse(&g, "o=- 1 1 IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", &s);
    cr_assert_eq(an.kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_eq(an.offset, 0);
    cr_assert_eq(s.n_media, 1); /* what parses is still kept */
    sl_guard_free(&g);
}

Test(sdp, junk_line_and_bad_port)
{
    sl_guarded g;
    sl_sdp s;
    const char *text = "v=0\r\nm=audio 4000 RTP/AVP 0\r\nthis is not sdp\r\n"
                       "m=audio 70000 RTP/AVP 8\r\nm=audio 6000 RTP/AVP 8\r\n";
    sl_anomaly an = parse(&g, text, &s);
    cr_assert_eq(an.kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_eq(an.offset, (size_t)(strstr(text, "this") - text));
    cr_assert_eq(s.n_media, 2); /* the m= line with port 70000 is skipped */
    cr_assert_eq(s.media[1].port, 6000);
    sl_guard_free(&g);
    an = parse(&g, "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:200 X/8000\r\n", &s);
    cr_assert_eq(an.kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_eq(s.media[0].n_rtpmap, 0);
    sl_guard_free(&g);
    an = parse(&g, "", &s);
    cr_assert_eq(an.kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_eq(s.n_media, 0);
    sl_guard_free(&g);
    an = parse(&g, "v=0\r\nc=IN IP4\r\n", &s);
    cr_assert_eq(an.kind, SL_ANOM_SDP_MALFORMED);
    cr_assert_eq(s.conn.len, 0);
    sl_guard_free(&g);
}

Test(sdp, too_many_media)
{
    char text[1024] = "v=0\r\n";
    for (int i = 0; i < SL_SDP_MAX_MEDIA + 2; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", 4000 + 2 * i);
    sl_guarded g;
    sl_sdp s;
    sl_anomaly an = parse(&g, text, &s);
    cr_assert_eq(an.kind, SL_ANOM_SDP_TOO_MANY_MEDIA);
    cr_assert_eq(s.n_media, SL_SDP_MAX_MEDIA);
    cr_assert(s.dropped);
    cr_assert_eq(s.media[SL_SDP_MAX_MEDIA - 1].port, 4000 + 2 * (SL_SDP_MAX_MEDIA - 1));
    cr_assert_eq(s.media[SL_SDP_MAX_MEDIA - 1].n_rtpmap, 1);
    sl_guard_free(&g);
}

Test(sdp, static_payload_types)
{
    const char *name;
    uint32_t rate;
    cr_assert(sl_sdp_static_pt(8, &name, &rate));
    cr_assert_str_eq(name, "PCMA");
    cr_assert_eq(rate, 8000);
    cr_assert(sl_sdp_static_pt(18, &name, &rate));
    cr_assert_str_eq(name, "G729");
    cr_assert_not(sl_sdp_static_pt(96, &name, &rate));
}

static bool find_part(sl_guarded *g, const char *ct, const char *body, sl_slice *part, size_t *off)
{
    sl_slice b = sl_slice_make(sl_guard(g, body, strlen(body)), strlen(body));
    return sl_multipart_find_sdp(sl_slice_make(ct, strlen(ct)), b, part, off);
}

Test(multipart, sdp_part_among_others)
{
    const char *body =
        "preamble\r\n"
        "--b-1\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n\x01\x02\r\n"
        "--b-1\r\nContent-Disposition: session\r\ncontent-type : Application/SDP\r\n"
        "\r\nv=0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n--b-1--\r\n";
    sl_guarded g;
    sl_slice part;
    size_t off;
    cr_assert(find_part(&g, "multipart/mixed;boundary=\"b-1\"", body, &part, &off));
    assert_slice(part, "v=0\r\nm=audio 4000 RTP/AVP 0\r\n");
    cr_assert_eq(off, (size_t)(strstr(body, "v=0") - body));
    sl_guard_free(&g);
}

Test(multipart, none_or_unterminated)
{
    sl_guarded g;
    sl_slice part;
    size_t off;
    cr_assert_not(find_part(&g, "multipart/mixed;boundary=x",
                            "--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n", &part, &off));
    sl_guard_free(&g);
    cr_assert_not(find_part(&g, "application/sdp", "v=0\r\n", &part, &off));
    sl_guard_free(&g);
    cr_assert_not(find_part(&g, "multipart/mixed", "--x\r\n", &part, &off));
    sl_guard_free(&g);
    /* the part's headers never end: no content */
    cr_assert_not(find_part(&g, "multipart/mixed; boundary=x",
                            "--x\r\nContent-Type: application/sdp\r\n", &part, &off));
    sl_guard_free(&g);
    /* no close delimiter: the part runs to the end of the body */
    cr_assert(find_part(&g, "multipart/alternative; boundary=x",
                        "--x\nContent-Type: application/sdp\n\nv=0\nm=audio 1 RTP/AVP 0", &part,
                        &off));
    assert_slice(part, "v=0\nm=audio 1 RTP/AVP 0");
    sl_guard_free(&g);
}

static bool same_slice(sl_slice a, sl_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Every field the events report, as the parse gave it. */
static void assert_same_media(const sl_sdp_media *a, const sl_sdp_media *b, size_t rtpmaps)
{
    cr_assert(same_slice(a->media, b->media) && same_slice(a->proto, b->proto) &&
              same_slice(a->fmts, b->fmts) && same_slice(a->conn, b->conn));
    cr_assert(a->port == b->port && a->port_count == b->port_count && a->dir == b->dir &&
              a->ptime == b->ptime);
    cr_assert_eq(b->n_rtpmap, rtpmaps);
    for (size_t k = 0; k < rtpmaps; k++) {
        const sl_sdp_rtpmap *x = &a->rtpmap[k], *y = &b->rtpmap[k];
        cr_assert(x->pt == y->pt && x->rate == y->rate && x->channels == y->channels &&
                  same_slice(x->name, y->name));
    }
}

Test(media_pack, unpacks_the_same)
{
    sl_guarded g;
    sl_sdp s, again;
    parse(&g, OFFER, &s);
    s.media[0].port_count = 2; /* every field set somewhere */
    s.media[1].dir = SL_SDP_INACTIVE;
    uint8_t kept[SL_MEDIA_KEPT_MAX];
    bool cut;
    size_t n = sl_sdp_pack(&s, kept, sizeof kept, &cut);
    cr_assert_not(cut);
    /* this call's: 1 + 12 session, 4 + 14 streams; shared: 3, audio 34 + rtpmaps
     * 12 + 12 + 23, video 26 */
    cr_assert_eq(n, 141);
    cr_assert(sl_sdp_unpack(kept, n, &again));
    cr_assert(same_slice(again.conn, s.conn));
    cr_assert(again.dir == s.dir && again.n_media == 2 && !again.dropped);
    assert_same_media(&s.media[0], &again.media[0], 3);
    assert_same_media(&s.media[1], &again.media[1], 0);
    /* anything but the whole packed text is refused */
    cr_assert_not(sl_sdp_unpack(kept, n - 1, &again));
    sl_guard_free(&g);
}

/* Content-Type values that are application/sdp (RFC 3261 20.15: any case,
 * parameters after ';'), and some that are not. */
Test(sdp, content_type_forms)
{
    static const char *const yes[] = {"application/sdp",         "Application/SDP",
                                      " application/sdp ",       "application/sdp;charset=utf-8",
                                      "application/sdp \t; x=y", "APPLICATION/SDP"};
    static const char *const no[] = {"application/sdpx",
                                     "application/sd",
                                     "application/sdp x",
                                     "application\x0fsdp",
                                     "applicationXsdp",
                                     "text/plain",
                                     "",
                                     "multipart/mixed;boundary=x"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        sl_guarded g;
        const uint8_t *t = sl_guard(&g, yes[i], strlen(yes[i]));
        cr_assert(sl_sdp_is_content_type(sl_slice_make(t, strlen(yes[i]))), "%s", yes[i]);
        sl_guard_free(&g);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        sl_guarded g;
        const uint8_t *t = sl_guard(&g, no[i], strlen(no[i]));
        cr_assert_not(sl_sdp_is_content_type(sl_slice_make(t, strlen(no[i]))), "%s", no[i]);
        sl_guard_free(&g);
    }
}

/* rtpmap values (RFC 8866 6.6): which are taken, and what of them. */
Test(sdp, rtpmap_forms)
{
    static const struct {
        const char *value;
        bool ok;
        unsigned pt, rate, channels;
        const char *name;
    } cases[] = {
        {"0 PCMU/8000", true, 0, 8000, 0, "PCMU"},
        {"  97\topus/48000/2 trailing", true, 97, 48000, 2, "opus"},
        {"96 AMR/8000/", true, 96, 8000, 0, "AMR"},
        {"0097 X/4294967295", true, 97, 4294967295u, 0, "X"},
        {"128 X/8000", false, 0, 0, 0, NULL},       /* pt above 127 */
        {"9x X/8000", false, 0, 0, 0, NULL},        /* pt not a number */
        {"97", false, 0, 0, 0, NULL},               /* no encoding */
        {"97 PCMU", false, 0, 0, 0, NULL},          /* no clock rate */
        {"97 /8000", false, 0, 0, 0, NULL},         /* no name */
        {"97 X//2", false, 0, 0, 0, NULL},          /* empty rate */
        {"97 X/8000x", false, 0, 0, 0, NULL},       /* rate not a number */
        {"97 X/4294967296", false, 0, 0, 0, NULL},  /* rate above 32 bits */
        {"97 X/00000008000", false, 0, 0, 0, NULL}, /* 11 digits */
        {"97 X/8000/2/1", false, 0, 0, 0, NULL},    /* channels not a number */
        {"97 X/8000/256", false, 0, 0, 0, NULL},    /* channels above 255 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[128];
        snprintf(text, sizeof text, "v=0\r\nm=audio 4000 RTP/AVP 97\r\na=rtpmap:%s\r\n",
                 cases[i].value);
        sl_guarded g;
        sl_sdp s;
        sl_anomaly an = parse(&g, text, &s);
        cr_assert_eq(s.media[0].n_rtpmap, cases[i].ok ? 1 : 0, "%s", cases[i].value);
        cr_assert_eq(an.kind, cases[i].ok ? SL_ANOM_NONE : SL_ANOM_SDP_MALFORMED, "%s",
                     cases[i].value);
        if (cases[i].ok) {
            const sl_sdp_rtpmap *r = &s.media[0].rtpmap[0];
            cr_assert(r->pt == cases[i].pt && r->rate == cases[i].rate &&
                          r->channels == cases[i].channels,
                      "%s", cases[i].value);
            assert_slice(r->name, cases[i].name);
        }
        sl_guard_free(&g);
    }
}

/* Calls that offer the same streams from other addresses and ports share
 * the second part of their packed SDPs byte for byte. */
Test(media_pack, shared_part)
{
    sl_guarded g1, g2, g3;
    sl_sdp a, b, c;
    parse(&g1, OFFER, &a);
    parse(
        &g2,
        "v=0\r\nc=IN IP4 203.0.113.99\r\nm=audio 6000 RTP/AVP 0 8 97 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:97 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"
        "a=ptime:20\r\nm=video 7000 RTP/AVP 31\r\nc=IN IP4 203.0.113.98\r\na=recvonly\r\n",
        &b);
    parse(&g3, OFFER, &c);
    c.media[0].ptime = 30;
    uint8_t ka[SL_MEDIA_KEPT_MAX], kb[SL_MEDIA_KEPT_MAX], kc[SL_MEDIA_KEPT_MAX];
    bool cut;
    sl_sdp_packed pa, pb, pc;
    cr_assert(sl_sdp_packed_parts(ka, sl_sdp_pack(&a, ka, sizeof ka, &cut), &pa));
    cr_assert(sl_sdp_packed_parts(kb, sl_sdp_pack(&b, kb, sizeof kb, &cut), &pb));
    cr_assert(sl_sdp_packed_parts(kc, sl_sdp_pack(&c, kc, sizeof kc, &cut), &pc));
    cr_assert_eq(pa.n_media, 2);
    assert_slice(pa.conn, "192.0.2.10");
    cr_assert_eq(pa.port[1], 51372);
    assert_slice(pa.media_conn[1], "192.0.2.11");
    cr_assert_eq(pa.media_conn[0].len, 0);
    cr_assert(same_slice(pa.shared, pb.shared), "same streams, other addresses");
    cr_assert_not(same_slice(pa.shared, pc.shared), "another ptime");
    sl_guard_free(&g1);
    sl_guard_free(&g2);
    sl_guard_free(&g3);
}

/* What does not fit is left out by whole sections or rtpmaps, and said. */
Test(media_pack, cut_when_full)
{
    sl_guarded g;
    sl_sdp s, again;
    parse(&g, OFFER, &s);
    uint8_t kept[70]; /* the session (16), the audio section (38) and one rtpmap (12) */
    bool cut;
    size_t n = sl_sdp_pack(&s, kept, sizeof kept, &cut);
    cr_assert(cut);
    cr_assert_leq(n, sizeof kept);
    cr_assert(sl_sdp_unpack(kept, n, &again));
    cr_assert_eq(again.n_media, 1);
    assert_same_media(&s.media[0], &again.media[0], 1);
    n = sl_sdp_pack(&s, kept, 4, &cut);
    cr_assert(cut && n == 0);
    sl_guard_free(&g);
}
