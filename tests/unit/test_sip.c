/* The SIP message dissector: start line, headers, framing, and robustness
 * against truncation (every prefix from a guarded buffer) and malformed input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guarded.h"
#include "sipsleuth/sip.h"

#define MAXH 64
static sl_sip_header hdrs[MAXH];

#define assert_slice(s, str)                                                                       \
    cr_assert(sl_slice_eq((s), (str)), "got \"%.*s\", want \"%s\"", (int)(s).len,                  \
              (const char *)(s).ptr, (str))

static sl_status parse_n(const void *buf, size_t len, sl_sip_framing f, sl_sip_msg *m,
                         sl_anomaly *an)
{
    memset(an, 0, sizeof *an);
    m->headers = hdrs;
    m->max_headers = MAXH;
    return sl_sip_parse(buf, len, f, m, an);
}

static sl_status parse(const char *s, sl_sip_framing f, sl_sip_msg *m, sl_anomaly *an)
{
    return parse_n(s, strlen(s), f, m, an);
}

/* Fills in the Content-Length: `fmt` has one %zu and the body follows the
 * first blank line (and holds no '%'). */
static size_t build(char *out, size_t cap, const char *fmt)
{
    const char *blank = strstr(fmt, "\r\n\r\n");
    cr_assert(blank);
    size_t body = strlen(blank + 4);
    int n = snprintf(out, cap, fmt, body);
    cr_assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static const char *header_value(const sl_sip_msg *m, sl_sip_hdr_id id, char *out, size_t cap)
{
    const sl_sip_header *h = sl_sip_find(m, id);
    cr_assert(h, "header %d missing", (int)id);
    cr_assert(h->value.len < cap);
    memcpy(out, h->value.ptr, h->value.len);
    out[h->value.len] = 0;
    return out;
}

#define SDP                                                                                        \
    "v=0\r\n"                                                                                      \
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"                            \
    "s=-\r\n"                                                                                      \
    "c=IN IP4 192.0.2.101\r\n"                                                                     \
    "t=0 0\r\n"                                                                                    \
    "m=audio 49172 RTP/AVP 0\r\n"                                                                  \
    "a=rtpmap:0 PCMU/8000\r\n"

static const char *const invite_fmt =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP "
    "[2001:db8::1]:5060;branch=z9hG4bKnashds8\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice \\\"A\\\", Smith\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: %zu\r\n"
    "\r\n" SDP;

static const char *const ringing_fmt =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK7\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=192\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Content-Length: %zu\r\n"
    "\r\n";

static const char *const trying_fmt =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK7\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: %zu\r\n"
    "\r\n";

static const char *const ok_fmt = "SIP/2.0 200 OK\r\n"
                                  "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK7\r\n"
                                  "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
                                  "CSeq: 314159 INVITE\r\n"
                                  "Content-Type: application/sdp\r\n"
                                  "Content-Length: %zu\r\n"
                                  "\r\n" SDP;

static const char *const unauth_fmt =
    "SIP/2.0 401 Unauthorized\r\n"
    "Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "WWW-Authenticate: Digest realm=\"atlanta.example.com\", qop=\"auth,auth-int\",\r\n"
    " nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\", stale=FALSE, algorithm=MD5\r\n"
    "Content-Length: %zu\r\n"
    "\r\n";

static const char *const terminated_fmt = "SIP/2.0 487 Request Terminated\r\n"
                                          "CSeq: 314159 INVITE\r\n"
                                          "Content-Length: %zu\r\n"
                                          "\r\n";

static const char *const register_fmt =
    "REGIStER sips:registrar.biloxi.example.com sip/2.0\r\n"
    "Via: SIP/2.0/TLS bobspc.biloxi.example.com:5061;branch=z9hG4bKnashds7\r\n"
    "To: Bob <sips:bob@biloxi.example.com>\r\n"
    "From: Bob <sips:bob@biloxi.example.com>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: \"Bob, \\\"the\\\" builder\" <sips:bob@192.0.2.4;transport=tls>;expires=3600, "
    "<sip:bob@[2001:db8::10]:5070>;q=0.5\r\n"
    "Contact: sip:bob@bobspc.biloxi.example.com;expires=60\r\n"
    "Expires: 7200\r\n"
    "Content-Length: %zu\r\n"
    "\r\n";

static const char *const options_fmt = "OPTIONS tel:+1-201-555-0123 SIP/2.0\r\n"
                                       "Via: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKopt\r\n"
                                       "Accept: application/sdp\r\n"
                                       "Content-Length: %zu\r\n"
                                       "\r\n";

/* Every IANA compact form, in one message. */
static const char *const compact_fmt =
    "MESSAGE sip:user2@domain.com SIP/2.0\r\n"
    "v: SIP/2.0/TCP user1pc.domain.com;branch=z9hG4bK776sgdkse\r\n"
    "f: sip:user1@domain.com;tag=49583\r\n"
    "t: sip:user2@domain.com\r\n"
    "i: asd88asd77a@1.2.3.4\r\n"
    "m: <sip:user1@1.2.3.4>\r\n"
    "l: %zu\r\n"
    "c: text/plain\r\n"
    "k: 100rel\r\n"
    "s: hello\r\n"
    "e: gzip\r\n"
    "o: presence\r\n"
    "r: <sip:carol@domain.com>\r\n"
    "u: presence\r\n"
    "y: eyJhbGciOiJFUzI1NiJ9.e30.c2ln;info=<https://x/c.pem>\r\n"
    "n: <https://x/c.pem>\r\n"
    "b: <sip:user1@domain.com>\r\n"
    "x: 1800;refresher=uac\r\n"
    "a: *;audio\r\n"
    "j: *;video\r\n"
    "d: proxy\r\n"
    "\r\n"
    "Watson, come here.";

static const char *const folded_fmt = "BYE sip:bob@192.0.2.4 SIP/2.0\r\n"
                                      "Via: SIP/2.0/UDP pc33.atlanta.example.com\r\n"
                                      "  ;branch=z9hG4bKnashds10\r\n"
                                      "Subject:\r\n"
                                      "\t I know you're there,\r\n"
                                      "   pick up the phone   \r\n"
                                      "Call-ID  :  a84b4c76e66710  \r\n"
                                      "CSeq: 231 BYE\r\n"
                                      "Content-Length: %zu\r\n"
                                      "\r\n";

static const char *const *all_fmts(size_t *n)
{
    static const char *const *fmts[] = {&invite_fmt,  &ringing_fmt,    &trying_fmt,   &ok_fmt,
                                        &unauth_fmt,  &terminated_fmt, &register_fmt, &options_fmt,
                                        &compact_fmt, &folded_fmt};
    static const char *list[sizeof fmts / sizeof fmts[0]];
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
        list[i] = *fmts[i];
    *n = sizeof fmts / sizeof fmts[0];
    return list;
}

Test(sip, invite_with_sdp)
{
    char buf[2048], v[256];
    size_t len = build(buf, sizeof buf, invite_fmt);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(buf, len, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert(m.is_request);
    assert_slice(m.method, "INVITE");
    assert_slice(m.request_uri, "sip:bob@biloxi.example.com");
    assert_slice(m.version, "SIP/2.0");
    cr_assert_eq(m.n_headers, 10);
    cr_assert_eq(m.n_headers_seen, 10);
    cr_assert_eq(m.flags, 0);
    cr_assert(m.has_content_length);
    cr_assert_eq(m.content_length, strlen(SDP));
    assert_slice(m.body, SDP);
    cr_assert_eq(m.length, len);
    cr_assert_str_eq(header_value(&m, SL_HDR_CALL_ID, v, sizeof v),
                     "a84b4c76e66710@pc33.atlanta.example.com");
    cr_assert_str_eq(header_value(&m, SL_HDR_MAX_FORWARDS, v, sizeof v), "70");
    cr_assert_eq(m.first[SL_HDR_VIA], 1);
    cr_assert_eq(m.first[SL_HDR_CSEQ], 7);
    cr_assert_eq(m.first[SL_HDR_USER_AGENT], 0);
    cr_assert_null(sl_sip_find(&m, SL_HDR_USER_AGENT));

    /* two Via headers, the first with two values */
    const sl_sip_header *via = sl_sip_find(&m, SL_HDR_VIA);
    assert_slice(via->name, "Via");
    sl_slice rest = via->value, e;
    cr_assert(sl_sip_next_element(&rest, &e));
    assert_slice(e, "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds");
    cr_assert(sl_sip_next_element(&rest, &e));
    assert_slice(e, "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKnashds8");
    cr_assert_not(sl_sip_next_element(&rest, &e));
    via = sl_sip_find_next(&m, via);
    cr_assert_not_null(via);
    assert_slice(via->value, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1");
    cr_assert_null(sl_sip_find_next(&m, via));

    /* quoted display name holding a comma and escaped quotes */
    sl_sip_nameaddr na;
    cr_assert_eq(sl_sip_nameaddr_parse(sl_sip_find(&m, SL_HDR_FROM)->value, &na), SL_OK);
    assert_slice(na.display, "Alice \\\"A\\\", Smith");
    assert_slice(na.uri, "sip:alice@atlanta.example.com");
    sl_slice tag;
    cr_assert(sl_sip_param_get(na.params, "tag", &tag));
    assert_slice(tag, "1928301774");

    sl_sip_cseq cs;
    cr_assert_eq(sl_sip_cseq_parse(sl_sip_find(&m, SL_HDR_CSEQ)->value, &cs), SL_OK);
    cr_assert_eq(cs.number, 314159);
    assert_slice(cs.method, "INVITE");

    /* the same bytes as a stream frame exactly */
    cr_assert_eq(parse_n(buf, len, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.length, len);
    assert_slice(m.body, SDP);
}

Test(sip, responses)
{
    static const struct {
        const char *const *fmt;
        int code;
        const char *reason;
    } cases[] = {
        {&trying_fmt, 100, "Trying"},
        {&ringing_fmt, 180, "Ringing"},
        {&ok_fmt, 200, "OK"},
        {&unauth_fmt, 401, "Unauthorized"},
        {&terminated_fmt, 487, "Request Terminated"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[2048];
        size_t len = build(buf, sizeof buf, *cases[i].fmt);
        sl_sip_msg m;
        sl_anomaly an;
        for (int f = SL_SIP_DATAGRAM; f <= SL_SIP_STREAM; f++) {
            cr_assert_eq(parse_n(buf, len, (sl_sip_framing)f, &m, &an), SL_OK);
            cr_assert_not(m.is_request);
            cr_assert_eq(m.status_code, cases[i].code);
            assert_slice(m.reason, cases[i].reason);
            assert_slice(m.version, "SIP/2.0");
            cr_assert_eq(m.length, len);
            cr_assert_eq(m.flags, 0);
        }
    }
}

Test(sip, www_authenticate_fold_kept)
{
    char buf[1024], u[512];
    size_t len = build(buf, sizeof buf, unauth_fmt);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(buf, len, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.n_headers, 4);
    const sl_sip_header *h = &m.headers[2];
    assert_slice(h->name, "WWW-Authenticate");
    cr_assert_eq(h->id, SL_HDR_OTHER);
    cr_assert_not_null(memchr(h->value.ptr, '\n', h->value.len), "the fold stays in the value");
    size_t n = sl_sip_unfold(h->value, (uint8_t *)u, sizeof u);
    u[n] = 0;
    cr_assert_str_eq(u, "Digest realm=\"atlanta.example.com\", qop=\"auth,auth-int\", "
                        "nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\", stale=FALSE, "
                        "algorithm=MD5");
}

Test(sip, register_mixed_case_method_and_version)
{
    char buf[1024];
    size_t len = build(buf, sizeof buf, register_fmt);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(buf, len, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    assert_slice(m.method, "REGIStER");
    assert_slice(m.version, "sip/2.0");
    assert_slice(m.request_uri, "sips:registrar.biloxi.example.com");

    /* one Contact header with two values, then another Contact header */
    const sl_sip_header *c = sl_sip_find(&m, SL_HDR_CONTACT);
    sl_slice rest = c->value, e, p;
    sl_sip_nameaddr na;
    sl_sip_uri uri;
    cr_assert(sl_sip_next_element(&rest, &e));
    cr_assert_eq(sl_sip_nameaddr_parse(e, &na), SL_OK);
    assert_slice(na.display, "Bob, \\\"the\\\" builder");
    assert_slice(na.uri, "sips:bob@192.0.2.4;transport=tls");
    cr_assert(sl_sip_param_get(na.params, "expires", &p));
    assert_slice(p, "3600");
    cr_assert_eq(sl_sip_uri_parse(na.uri, &uri), SL_OK);
    cr_assert_eq(uri.scheme, SL_URI_SIPS);
    assert_slice(uri.params, ";transport=tls");

    cr_assert(sl_sip_next_element(&rest, &e));
    cr_assert_eq(sl_sip_nameaddr_parse(e, &na), SL_OK);
    cr_assert_eq(na.display.len, 0);
    cr_assert_eq(sl_sip_uri_parse(na.uri, &uri), SL_OK);
    assert_slice(uri.host, "[2001:db8::10]");
    cr_assert_eq(uri.port, 5070);
    cr_assert(sl_sip_param_get(na.params, "q", &p));
    assert_slice(p, "0.5");
    cr_assert_not(sl_sip_next_element(&rest, &e));

    c = sl_sip_find_next(&m, c);
    cr_assert_not_null(c);
    cr_assert_eq(sl_sip_nameaddr_parse(c->value, &na), SL_OK);
    assert_slice(na.uri, "sip:bob@bobspc.biloxi.example.com");
    assert_slice(na.params, ";expires=60");
    cr_assert_null(sl_sip_find_next(&m, c));
}

Test(sip, options_tel_and_ipv6_via)
{
    char buf[1024];
    size_t len = build(buf, sizeof buf, options_fmt);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(buf, len, SL_SIP_STREAM, &m, &an), SL_OK);
    assert_slice(m.method, "OPTIONS");
    sl_sip_uri uri;
    cr_assert_eq(sl_sip_uri_parse(m.request_uri, &uri), SL_OK);
    cr_assert_eq(uri.scheme, SL_URI_TEL);
    assert_slice(uri.user, "+1-201-555-0123");
    cr_assert_eq(m.headers[1].id, SL_HDR_OTHER);
    assert_slice(m.headers[1].name, "Accept");
    cr_assert_eq(m.body.len, 0);
}

Test(sip, every_compact_form)
{
    char buf[2048];
    size_t len = build(buf, sizeof buf, compact_fmt);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(buf, len, SL_SIP_STREAM, &m, &an), SL_OK);
    static const sl_sip_hdr_id ids[] = {
        SL_HDR_VIA,
        SL_HDR_FROM,
        SL_HDR_TO,
        SL_HDR_CALL_ID,
        SL_HDR_CONTACT,
        SL_HDR_CONTENT_LENGTH,
        SL_HDR_CONTENT_TYPE,
        SL_HDR_SUPPORTED,
        SL_HDR_SUBJECT,
        SL_HDR_CONTENT_ENCODING,
        SL_HDR_EVENT,
        SL_HDR_REFER_TO,
        SL_HDR_ALLOW_EVENTS,
        SL_HDR_IDENTITY,
        SL_HDR_IDENTITY_INFO,
        SL_HDR_REFERRED_BY,
        SL_HDR_SESSION_EXPIRES,
        SL_HDR_ACCEPT_CONTACT,
        SL_HDR_REJECT_CONTACT,
        SL_HDR_REQUEST_DISPOSITION,
    };
    cr_assert_eq(m.n_headers, sizeof ids / sizeof ids[0]);
    for (size_t i = 0; i < m.n_headers; i++) {
        cr_assert_eq(m.headers[i].id, ids[i], "header %zu (%c)", i, m.headers[i].name.ptr[0]);
        cr_assert_eq(m.first[ids[i]], i + 1);
    }
    assert_slice(m.body, "Watson, come here.");
    cr_assert_eq(m.content_length, 18);
    cr_assert_eq(m.length, len);
    sl_sip_nameaddr na;
    cr_assert_eq(sl_sip_nameaddr_parse(sl_sip_find(&m, SL_HDR_ACCEPT_CONTACT)->value, &na), SL_OK);
    cr_assert(na.star);
}

Test(sip, folded_headers)
{
    char buf[1024], u[256];
    size_t len = build(buf, sizeof buf, folded_fmt);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(buf, len, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.n_headers, 5);
    cr_assert_eq(m.flags, 0);

    const sl_sip_header *via = sl_sip_find(&m, SL_HDR_VIA);
    assert_slice(via->value, "SIP/2.0/UDP pc33.atlanta.example.com\r\n  ;branch=z9hG4bKnashds10");
    size_t n = sl_sip_unfold(via->value, (uint8_t *)u, sizeof u);
    cr_assert_eq(n, strlen("SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bKnashds10"));

    /* empty first line: the value starts on the continuation */
    const sl_sip_header *subj = sl_sip_find(&m, SL_HDR_SUBJECT);
    assert_slice(subj->value, "I know you're there,\r\n   pick up the phone");
    n = sl_sip_unfold(subj->value, (uint8_t *)u, sizeof u);
    u[n] = 0;
    cr_assert_str_eq(u, "I know you're there, pick up the phone");

    /* whitespace between name and colon */
    const sl_sip_header *cid = sl_sip_find(&m, SL_HDR_CALL_ID);
    assert_slice(cid->name, "Call-ID");
    assert_slice(cid->value, "a84b4c76e66710");
}

/* Checks that a successful parse describes bytes inside the input. */
static void check_within(const sl_sip_msg *m, const uint8_t *b, size_t len)
{
    cr_assert(m->length <= len);
    cr_assert(m->body.ptr >= b && m->body.ptr + m->body.len <= b + m->length);
    for (size_t i = 0; i < m->n_headers; i++) {
        const sl_sip_header *h = &m->headers[i];
        cr_assert(h->name.ptr >= b && h->name.ptr + h->name.len <= b + len);
        cr_assert(h->value.ptr >= b && h->value.ptr + h->value.len <= b + len);
    }
}

Test(sip, every_prefix_guarded)
{
    size_t nf;
    const char *const *fmts = all_fmts(&nf);
    for (size_t f = 0; f < nf; f++) {
        char buf[2048];
        size_t len = build(buf, sizeof buf, fmts[f]);
        for (size_t k = 0; k <= len; k++) {
            sl_guarded g;
            const uint8_t *b = sl_guard(&g, buf, k);
            sl_sip_msg m;
            sl_anomaly an;
            sl_status s = parse_n(b, k, SL_SIP_DATAGRAM, &m, &an);
            if (s == SL_OK)
                check_within(&m, b, k);
            else
                cr_assert_eq(s, SL_INVALID);

            s = parse_n(b, k, SL_SIP_STREAM, &m, &an);
            if (k < len) {
                cr_assert(s == SL_PARTIAL || s == SL_INVALID,
                          "message %zu: prefix %zu of %zu gave %s", f, k, len, sl_status_name(s));
            } else {
                cr_assert_eq(s, SL_OK, "message %zu", f);
                cr_assert_eq(m.length, len);
                check_within(&m, b, k);
            }
            /* the probe never rejects the start of a valid message */
            cr_assert_neq(sl_sip_probe(b, k), SL_INVALID, "message %zu prefix %zu", f, k);
            sl_guard_free(&g);
        }
    }
}

Test(sip, stream_prefixes_are_partial)
{
    /* Strict prefixes of a well-formed message are never invalid either. */
    size_t nf;
    const char *const *fmts = all_fmts(&nf);
    for (size_t f = 0; f < nf; f++) {
        char buf[2048];
        size_t len = build(buf, sizeof buf, fmts[f]);
        for (size_t k = 0; k < len; k++) {
            sl_sip_msg m;
            sl_anomaly an;
            cr_assert_eq(parse_n(buf, k, SL_SIP_STREAM, &m, &an), SL_PARTIAL, "msg %zu len %zu", f,
                         k);
        }
    }
}

Test(sip, back_to_back_in_a_stream)
{
    char a[2048], b[2048], both[4096];
    size_t la = build(a, sizeof a, invite_fmt), lb = build(b, sizeof b, ringing_fmt);
    memcpy(both, a, la);
    memcpy(both + la, b, lb);
    sl_guarded g;
    const uint8_t *p = sl_guard(&g, both, la + lb);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(p, la + lb, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.length, la);
    assert_slice(m.method, "INVITE");
    cr_assert_eq(parse_n(p + la, lb, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.length, lb);
    cr_assert_eq(m.status_code, 180);
    /* half of the second message: the first still frames, the rest is partial */
    cr_assert_eq(parse_n(p + la, lb / 2, SL_SIP_STREAM, &m, &an), SL_PARTIAL);
    sl_guard_free(&g);
}

Test(sip, datagram_body_framing)
{
    sl_sip_msg m;
    sl_anomaly an;
    /* Content-Length smaller than what is left: the rest is ignored */
    const char *s = "SIP/2.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
    cr_assert_eq(parse(s, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    assert_slice(m.body, "abc");
    cr_assert_eq(m.length, strlen(s) - 3);
    cr_assert_eq(m.flags, 0);

    /* larger: body short */
    s = "SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    cr_assert_eq(parse(s, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    assert_slice(m.body, "abc");
    cr_assert_eq(m.flags, SL_SIP_F_BODY_SHORT);
    cr_assert_eq(m.length, strlen(s));
    cr_assert_eq(parse(s, SL_SIP_STREAM, &m, &an), SL_PARTIAL);

    /* none: the rest of the datagram; in a stream, no body */
    s = "SIP/2.0 200 OK\r\nCSeq: 1 BYE\r\n\r\nxyz";
    cr_assert_eq(parse(s, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    assert_slice(m.body, "xyz");
    cr_assert_eq(m.flags, SL_SIP_F_NO_CONTENT_LENGTH);
    cr_assert_not(m.has_content_length);
    cr_assert_eq(parse(s, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.body.len, 0);
    cr_assert_eq(m.length, strlen(s) - 3);
    cr_assert_eq(m.flags, SL_SIP_F_NO_CONTENT_LENGTH);

    /* no blank line */
    s = "SIP/2.0 200 OK\r\nContent-Length: 0\r\nCSeq: 1 BYE\r\n";
    cr_assert_eq(parse(s, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_NO_BLANK_LINE);
    cr_assert_eq(m.body.len, 0);
    cr_assert_eq(m.n_headers, 2);
    cr_assert_eq(m.length, strlen(s));
    cr_assert_eq(parse(s, SL_SIP_STREAM, &m, &an), SL_PARTIAL);

    /* the last line without its line end, and a start line alone */
    s = "SIP/2.0 200 OK\r\nCSeq: 1 BYE";
    cr_assert_eq(parse(s, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_NO_BLANK_LINE | SL_SIP_F_NO_CONTENT_LENGTH);
    assert_slice(m.headers[0].value, "1 BYE");
    s = "OPTIONS sip:a SIP/2.0";
    cr_assert_eq(parse(s, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.n_headers, 0);
    cr_assert_eq(parse(s, SL_SIP_STREAM, &m, &an), SL_PARTIAL);
}

Test(sip, bad_content_length)
{
    static const char *const values[] = {
        "-1", "99999999999999999999999", "16777217", "12abc", "", "0x10", "1 2", "+5"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[256];
        int n = snprintf(buf, sizeof buf, "SIP/2.0 200 OK\r\nContent-Length: %s\r\n\r\nbody",
                         values[i]);
        sl_sip_msg m;
        sl_anomaly an;
        cr_assert_eq(parse_n(buf, (size_t)n, SL_SIP_DATAGRAM, &m, &an), SL_OK, "%s", values[i]);
        cr_assert_eq(m.flags, SL_SIP_F_BAD_CONTENT_LENGTH, "%s", values[i]);
        cr_assert_not(m.has_content_length);
        assert_slice(m.body, "body");
        cr_assert_eq(m.length, (size_t)n);

        cr_assert_eq(parse_n(buf, (size_t)n, SL_SIP_STREAM, &m, &an), SL_INVALID, "%s", values[i]);
        cr_assert_str_eq(sl_anomaly_name(an.kind), "sip_bad_content_length");
        cr_assert_str_eq(sl_anomaly_layer(an.kind), "sip");
        cr_assert_eq(an.offset, strlen("SIP/2.0 200 OK\r\nContent-Length: "), "%s", values[i]);
    }
}

/* A finding's offset (the anomaly's) is where it first shows in the message. */
Test(sip, flag_offsets)
{
    sl_sip_msg m;
    sl_anomaly an;
    const char *dg = "OPTIONS sip:a@b SIP/2.0\r\n"
                     "Via: x\r\n"
                     "NoColon\r\n"
                     "Content-Length: 9\r\n"
                     "Content-Length: 8\r\n"
                     "\r\n"
                     "short";
    cr_assert_eq(parse(dg, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags,
                 SL_SIP_F_HEADER_NO_COLON | SL_SIP_F_DUP_CONTENT_LENGTH | SL_SIP_F_BODY_SHORT);
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_HEADER_NO_COLON),
                 (size_t)(strstr(dg, "NoC") - dg));
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_DUP_CONTENT_LENGTH),
                 (size_t)(strstr(dg, "8\r\n") - dg));
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_BODY_SHORT), strlen(dg));

    const char *cut = "SIP/2.0 200 OK\rVia: x\r\nContent-Length: x\r\nTo: y";
    cr_assert_eq(parse(cut, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_LONE_CR | SL_SIP_F_BAD_CONTENT_LENGTH | SL_SIP_F_NO_BLANK_LINE);
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_LONE_CR), strlen("SIP/2.0 200 OK"));
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_BAD_CONTENT_LENGTH),
                 (size_t)(strstr(cut, "x\r\nTo") - cut));
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_NO_BLANK_LINE), strlen(cut));

    const char *none = "SIP/2.0 200 OK\r\nVia: x\r\n\r\nbody";
    cr_assert_eq(parse(none, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_NO_CONTENT_LENGTH);
    cr_assert_eq(sl_sip_flag_offset(&m, SL_SIP_F_NO_CONTENT_LENGTH), strlen(none) - 4);
}

Test(sip, content_length_limits_and_whitespace)
{
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(
        parse("SIP/2.0 200 OK\r\nContent-Length: 16777216\r\n\r\n", SL_SIP_DATAGRAM, &m, &an),
        SL_OK);
    cr_assert_eq(m.content_length, 16777216u);
    cr_assert_eq(m.flags, SL_SIP_F_BODY_SHORT);

    cr_assert_eq(
        parse("SIP/2.0 200 OK\r\nContent-Length: \t 0004 \t\r\n\r\nabcdZ", SL_SIP_STREAM, &m, &an),
        SL_OK);
    cr_assert_eq(m.content_length, 4);
    assert_slice(m.body, "abcd");
}

Test(sip, duplicate_content_length)
{
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(
        parse("SIP/2.0 200 OK\r\nl: 3\r\nContent-Length: 4\r\n\r\nabcd", SL_SIP_STREAM, &m, &an),
        SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_DUP_CONTENT_LENGTH);
    cr_assert_eq(m.content_length, 3);
    assert_slice(m.body, "abc");

    cr_assert_eq(parse("SIP/2.0 200 OK\r\nContent-Length: 2\r\nContent-Length: 02\r\n\r\nab",
                       SL_SIP_DATAGRAM, &m, &an),
                 SL_OK);
    cr_assert_eq(m.flags, 0, "the same value twice is not a conflict");
}

Test(sip, header_without_colon)
{
    sl_sip_msg m;
    sl_anomaly an;
    const char *s = "INVITE sip:a@b SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP h\r\n"
                    "this line has no colon\r\n"
                    " and a continuation: that is skipped too\r\n"
                    "Bad Name: x\r\n"
                    ": no name\r\n"
                    "CSeq: 1 INVITE\r\n"
                    "Content-Length: 0\r\n\r\n";
    cr_assert_eq(parse(s, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_HEADER_NO_COLON);
    cr_assert_eq(m.n_headers, 3);
    assert_slice(m.headers[0].value, "SIP/2.0/UDP h");
    assert_slice(m.headers[1].name, "CSeq");
    cr_assert_eq(m.length, strlen(s));
    cr_assert_eq(an.kind, SL_ANOM_NONE);

    /* a continuation right after the start line has nothing to continue */
    cr_assert_eq(parse("SIP/2.0 200 OK\r\n folded\r\nCSeq: 1 A\r\n\r\n", SL_SIP_DATAGRAM, &m, &an),
                 SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_HEADER_NO_COLON | SL_SIP_F_NO_CONTENT_LENGTH);
    cr_assert_eq(m.n_headers, 1);
}

Test(sip, nul_and_invalid_utf8_kept)
{
    static const char s[] = "MESSAGE sip:a@b SIP/2.0\r\n"
                            "Subject: a\0b\xff\xfe\xc3(\r\n"
                            "X\0Y: skipped\r\n"
                            "From: \"\xe2\x82\" <sip:\xff@b>;tag=\0\r\n"
                            "Content-Length: 2\r\n\r\n\0\xff";
    size_t len = sizeof s - 1;
    sl_guarded g;
    const uint8_t *b = sl_guard(&g, s, len);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n(b, len, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.length, len);
    cr_assert_eq(m.n_headers, 3);
    cr_assert_eq(m.flags, SL_SIP_F_HEADER_NO_COLON);
    cr_assert_eq(m.headers[0].value.len, 7);
    cr_assert_eq(memcmp(m.headers[0].value.ptr, "a\0b\xff\xfe\xc3(", 7), 0);
    cr_assert_eq(m.body.len, 2);
    cr_assert_eq(m.body.ptr[1], 0xff);
    sl_sip_nameaddr na;
    cr_assert_eq(sl_sip_nameaddr_parse(m.headers[1].value, &na), SL_OK);
    cr_assert_eq(na.display.len, 2);
    cr_assert_eq(na.uri.len, 7);
    sl_slice tag;
    cr_assert(sl_sip_param_get(na.params, "tag", &tag));
    cr_assert_eq(tag.len, 1);
    cr_assert_eq(tag.ptr[0], 0);
    sl_guard_free(&g);
}

Test(sip, bare_lf)
{
    const char *s =
        "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP h\n  ;branch=1\r\nContent-Length: 1\n\nX";
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse(s, SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.flags, SL_SIP_F_BARE_LF);
    assert_slice(m.reason, "Ringing");
    assert_slice(m.headers[0].value, "SIP/2.0/UDP h\n  ;branch=1");
    assert_slice(m.body, "X");
    cr_assert_eq(m.length, strlen(s));
}

/* A start line ended by a lone CR (seen in damaged captures; tshark accepts
 * it): recognised, flagged, and the next line is the first header. */
Test(sip, lone_cr_ends_start_line)
{
    const char *s = "CANCEL sip:a@b SIP/2.0\rVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                    "Call-ID: lc1\r\nContent-Length: 0\r\n\r\n";
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(sl_sip_probe((const uint8_t *)s, strlen(s)), SL_OK);
    for (int f = 0; f < 2; f++) {
        cr_assert_eq(parse(s, f ? SL_SIP_STREAM : SL_SIP_DATAGRAM, &m, &an), SL_OK);
        cr_assert(m.flags & SL_SIP_F_LONE_CR);
        assert_slice(m.method, "CANCEL");
        assert_slice(m.request_uri, "sip:a@b");
        cr_assert_eq(m.n_headers, 3);
        assert_slice(m.headers[0].name, "Via");
        cr_assert_eq(m.length, strlen(s));
    }
    /* a CR at the very end of a stream may be half a CRLF: wait for more */
    cr_assert_eq(parse("INVITE sip:a@b SIP/2.0\r", SL_SIP_STREAM, &m, &an), SL_PARTIAL);
    /* a CR inside the Request-URI is still invalid, not a line end that fits */
    cr_assert_eq(sl_sip_probe((const uint8_t *)"INVITE sip:a\r@b SIP/2.0\r\n", 26), SL_INVALID);
}

Test(sip, ten_thousand_headers)
{
    enum { N = 10000 };
    const char *start = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n";
    const char *tail = "Content-Length: 5\r\n\r\nhello";
    size_t cap = strlen(start) + N * 32 + strlen(tail);
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t len = (size_t)sprintf(buf, "%s", start);
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(buf + len, "X-H%d: v%d\r\n", i, i);
    len += (size_t)sprintf(buf + len, "%s", tail);

    sl_guarded g;
    const uint8_t *b = sl_guard(&g, buf, len);
    sl_sip_msg m;
    sl_anomaly an;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sl_status s = parse_n(b, len, SL_SIP_STREAM, &m, &an);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_eq(s, SL_OK);
    cr_assert(ms < 500, "took %.1f ms", ms);
    cr_assert_eq(m.n_headers, MAXH);
    cr_assert_eq(m.n_headers_seen, N + 2);
    cr_assert_eq(m.flags, SL_SIP_F_HEADERS_DROPPED);
    /* the framing header came after the array filled, and still counts */
    cr_assert(m.has_content_length);
    cr_assert_null(sl_sip_find(&m, SL_HDR_CONTENT_LENGTH));
    assert_slice(m.body, "hello");
    cr_assert_eq(m.length, len);
    cr_assert_eq(m.first[SL_HDR_VIA], 1);
    cr_assert_eq(m.first[SL_HDR_OTHER], 2);
    sl_guard_free(&g);
    free(buf);
}

Test(sip, no_header_array)
{
    const char *s = "SIP/2.0 200 OK\r\nCSeq: 1 A\r\nContent-Length: 0\r\n\r\n";
    sl_sip_msg m = {.headers = NULL, .max_headers = 8};
    cr_assert_eq(sl_sip_parse((const uint8_t *)s, strlen(s), SL_SIP_STREAM, &m, NULL), SL_OK);
    cr_assert_eq(m.n_headers, 0);
    cr_assert_eq(m.n_headers_seen, 2);
    cr_assert_eq(m.flags, SL_SIP_F_HEADERS_DROPPED);
    cr_assert_null(sl_sip_find(&m, SL_HDR_CSEQ));
    cr_assert_eq(m.length, strlen(s));
}

Test(sip, bad_start_lines)
{
    static const struct {
        const char *line;
        size_t offset;
    } cases[] = {
        {"INVITE sip:a SIP/3.0\r\n\r\n", 17},
        {"INVITE  sip:a SIP/2.0\r\n\r\n", 7},
        {"INVITE sip:a  SIP/2.0\r\n\r\n", 13},
        {"INVITE sip:a\r\n\r\n", 12},
        {"INVITE sip:a SIP/2.0 \r\n\r\n", 20},
        {"INVITE sip:a SIP/2.00\r\n\r\n", 20},
        {" INVITE sip:a SIP/2.0\r\n\r\n", 0},
        {"INV@TE sip:a SIP/2.0\r\n\r\n", 3},
        {"INVITE sip:\x01 SIP/2.0\r\n\r\n", 11},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 6},
        {"HTTP/1.1 200 OK\r\n\r\n", 4},
        {"SIP/2.0 20 OK\r\n\r\n", 10},
        {"SIP/2.0 2000 OK\r\n\r\n", 11},
        {"SIP/2.0 099 Nope\r\n\r\n", 8},
        {"SIP/2.0 700 Nope\r\n\r\n", 8},
        {"SIP/2.0  200 OK\r\n\r\n", 8},
        {"SIP/1.0 200 OK\r\n\r\n", 4},
        {"SIP/2.0\r\n\r\n", 7},
        {"\r\n\r\n", 0},
        {"\r\n", 0},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int f = SL_SIP_DATAGRAM; f <= SL_SIP_STREAM; f++) {
            sl_sip_msg m;
            sl_anomaly an;
            cr_assert_eq(parse(cases[i].line, (sl_sip_framing)f, &m, &an), SL_INVALID, "case %zu",
                         i);
            cr_assert_str_eq(sl_anomaly_name(an.kind), "sip_bad_start_line");
            cr_assert_str_eq(sl_anomaly_layer(an.kind), "sip");
            cr_assert_eq(an.offset, cases[i].offset, "case %zu: offset %zu", i, an.offset);
        }
        cr_assert_eq(sl_sip_probe((const uint8_t *)cases[i].line, strlen(cases[i].line)),
                     i == 12 || i == 13 || i == 14 ? SL_OK : SL_INVALID, "case %zu", i);
    }
}

Test(sip, status_line_variants)
{
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse("SIP/2.0 200 \r\n\r\n", SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.status_code, 200);
    cr_assert_eq(m.reason.len, 0);
    cr_assert_eq(parse("sip/2.0 603\r\n\r\n", SL_SIP_STREAM, &m, &an), SL_OK);
    cr_assert_eq(m.status_code, 603);
    cr_assert_eq(m.reason.len, 0);
    cr_assert_eq(parse("SIP/2.0 404 Not  Found \xc3\xa9\r\n\r\n", SL_SIP_STREAM, &m, &an), SL_OK);
    assert_slice(m.reason, "Not  Found \xc3\xa9");
    cr_assert_eq(parse("SIP/2.0 486 Busy\there\r\n\r\n", SL_SIP_STREAM, &m, &an), SL_OK);
    assert_slice(m.reason, "Busy\there");

    /* control bytes are not text (seen in fuzzed captures; tshark rejects them too) */
    static const char nul[] = "SIP/2.0 401 Unauthori%s\0\r\nCSeq: 1 A\r\n\r\n";
    cr_assert_eq(parse_n(nul, sizeof nul - 1, SL_SIP_DATAGRAM, &m, &an), SL_INVALID);
    cr_assert_str_eq(sl_anomaly_name(an.kind), "sip_bad_start_line");
    cr_assert_eq(an.offset, 23);
    cr_assert_eq(parse("SIP/2.0 200 O\x7fK\r\n\r\n", SL_SIP_DATAGRAM, &m, &an), SL_INVALID);
    cr_assert_eq(an.offset, 13);
}

Test(sip, empty_and_keepalives)
{
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(parse_n("", 0, SL_SIP_DATAGRAM, &m, &an), SL_INVALID);
    cr_assert_str_eq(sl_anomaly_name(an.kind), "sip_empty");
    cr_assert_eq(parse_n("", 0, SL_SIP_STREAM, &m, &an), SL_PARTIAL);
    cr_assert_eq(sl_sip_probe((const uint8_t *)"", 0), SL_PARTIAL);

    const uint8_t ka[] = "\r\n\r\n\nINVITE";
    cr_assert_eq(sl_sip_skip_keepalive(ka, 5), 5);
    cr_assert_eq(sl_sip_skip_keepalive(ka, sizeof ka - 1), 5);
    cr_assert_eq(sl_sip_skip_keepalive(ka, 0), 0);
    cr_assert_eq(sl_sip_skip_keepalive(ka + 5, 6), 0);
    cr_assert_eq(parse_n(ka, 4, SL_SIP_DATAGRAM, &m, &an), SL_INVALID);
    cr_assert_eq(parse_n(ka, 4, SL_SIP_STREAM, &m, &an), SL_INVALID);
    cr_assert_eq(parse_n(ka, 1, SL_SIP_STREAM, &m, &an), SL_INVALID,
                 "a lone CR cannot begin a start line");
}

Test(sip, long_start_line)
{
    size_t n = 9000;
    char *buf = malloc(n + 32);
    cr_assert_not_null(buf);
    memcpy(buf, "INVITE sip:", 11);
    memset(buf + 11, 'a', n - 11);
    memcpy(buf + n, " SIP/2.0\r\n\r\n", 12);
    sl_sip_msg m;
    sl_anomaly an;
    cr_assert_eq(sl_sip_probe((const uint8_t *)buf, n + 12), SL_INVALID);
    cr_assert_eq(sl_sip_probe((const uint8_t *)buf, 8191), SL_PARTIAL);
    cr_assert_eq(sl_sip_probe((const uint8_t *)buf, 8192), SL_INVALID);
    cr_assert_eq(parse_n(buf, n + 12, SL_SIP_DATAGRAM, &m, &an), SL_INVALID);
    cr_assert_eq(parse_n(buf, n + 12, SL_SIP_STREAM, &m, &an), SL_INVALID);
    cr_assert_eq(parse_n(buf, 5000, SL_SIP_STREAM, &m, &an), SL_PARTIAL);
    free(buf);
}

Test(sip, probe)
{
    static const char *const ok[] = {
        "INVITE sip:bob@b SIP/2.0\r\n",
        "REGIStER sip:b sip/2.0\nVia",
        "FOO-BAR.baz! x SIP/2.0\r\n",
        "SIP/2.0 200 OK\r\n",
        "SIP/2.0 180",
        "sip/2.0 999 whatever",
        "INVITE sip:bob@b SIP/2.0\r",
    };
    static const char *const partial[] = {
        "",
        "I",
        "INVITE",
        "INVITE ",
        "INVITE sip:b",
        "INVITE sip:b ",
        "INVITE sip:b SIP/2",
        "INVITE sip:b SIP/2.0",
        "S",
        "SIP",
        "SIP/",
        "SIP/2.0",
        "SIP/2.0 ",
        "SIP/2.0 20",
        "sip/2",
    };
    static const char *const invalid[] = {
        "GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1",
        "HTTP/1.1 200 OK\r\n",
        "POST /x HTTP/1.0\r\nHost: y\r\n",
        "INVITE sip:b SIP/2.0x",
        "INVITE sip:b SIP/2.0 \r\n",
        "INVITE sip:b\r\n",
        "INVITE sip:b\r",
        "SIP/2.0 2x0 OK",
        "SIP/2.1 200 OK",
        "SIP/2.0  200",
        "{\"json\": 1}",
        "\r\nINVITE sip:b SIP/2.0\r\n",
        " INVITE",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_assert_eq(sl_sip_probe((const uint8_t *)ok[i], strlen(ok[i])), SL_OK, "%s", ok[i]);
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++)
        cr_assert_eq(sl_sip_probe((const uint8_t *)partial[i], strlen(partial[i])), SL_PARTIAL,
                     "%s", partial[i]);
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        cr_assert_eq(sl_sip_probe((const uint8_t *)invalid[i], strlen(invalid[i])), SL_INVALID,
                     "%s", invalid[i]);
}

Test(sip, flag_kinds)
{
    static const struct {
        uint32_t flag;
        const char *kind;
    } kinds[] = {
        {SL_SIP_F_HEADERS_DROPPED, "sip_headers_dropped"},
        {SL_SIP_F_NO_CONTENT_LENGTH, "sip_no_content_length"},
        {SL_SIP_F_BAD_CONTENT_LENGTH, "sip_bad_content_length"},
        {SL_SIP_F_BODY_SHORT, "sip_body_short"},
        {SL_SIP_F_NO_BLANK_LINE, "sip_no_blank_line"},
        {SL_SIP_F_HEADER_NO_COLON, "sip_header_no_colon"},
        {SL_SIP_F_DUP_CONTENT_LENGTH, "sip_dup_content_length"},
        {SL_SIP_F_LONE_CR, "sip_lone_cr"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        cr_assert_str_eq(sl_anomaly_name(sl_sip_flag_kind(kinds[i].flag)), kinds[i].kind);
    /* tolerated and never reported; no other bit has a kind */
    cr_assert_eq(sl_sip_flag_kind(SL_SIP_F_BARE_LF), SL_ANOM_NONE);
    cr_assert_eq(sl_sip_flag_kind(1u << 31), SL_ANOM_NONE);
    cr_assert_eq(sl_sip_flag_kind(0), SL_ANOM_NONE);
}

/* A message moved to a copy of its bytes (as --workers 2 hands it over): every
 * slice at the same offset in the copy, the headers in the caller's array,
 * and nothing left reading the original, which is wiped. */
Test(sip, moved_to_a_copy)
{
    char text[2048];
    size_t n = build(text, sizeof text,
                     "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
                     "To: Bob <sip:bob@biloxi.example.com>\r\n"
                     "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                     "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
                     "CSeq: 314159 INVITE\r\n"
                     "Subject: a folded\r\n  value\r\n"
                     "Content-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\n\r\n" SDP);
    char *orig = malloc(n);
    cr_assert_not_null(orig);
    memcpy(orig, text, n);
    sl_sip_msg m, want;
    sl_anomaly an;
    cr_assert_eq(parse_n(orig, n, SL_SIP_DATAGRAM, &m, &an), SL_OK);
    want = m;
    sl_sip_header want_h[MAXH];
    memcpy(want_h, hdrs, sizeof want_h);
    uint8_t copy[2048];
    memcpy(copy, orig, m.length);
    sl_sip_header moved_h[MAXH];
    sl_sip_msg_move(&m, moved_h, (const uint8_t *)orig, copy);
    memset(orig, 'x', n); /* a slice left on the original reads x */

    cr_assert_eq(m.headers, moved_h);
    cr_assert_eq(m.n_headers, want.n_headers);
    cr_assert_eq(m.length, want.length);
#define SAME_PLACE(got, was)                                                                       \
    do {                                                                                           \
        cr_assert_eq((got).len, (was).len);                                                        \
        cr_assert_eq((got).ptr - copy, (was).ptr - (const uint8_t *)orig);                         \
    } while (0)
    SAME_PLACE(m.method, want.method);
    SAME_PLACE(m.request_uri, want.request_uri);
    SAME_PLACE(m.version, want.version);
    SAME_PLACE(m.body, want.body);
    for (size_t i = 0; i < m.n_headers; i++) {
        SAME_PLACE(moved_h[i].name, want_h[i].name);
        SAME_PLACE(moved_h[i].value, want_h[i].value);
        cr_assert_eq(moved_h[i].id, want_h[i].id);
    }
#undef SAME_PLACE
    char v[128];
    cr_assert_str_eq(header_value(&m, SL_HDR_CALL_ID, v, sizeof v),
                     "a84b4c76e66710@pc33.atlanta.example.com");
    cr_assert_eq(m.reason.ptr, NULL); /* a request has none: an empty slice stays empty */
    free(orig);
}
