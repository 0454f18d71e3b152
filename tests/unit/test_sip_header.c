/* SIP header helpers: ids, lookups, list splitting, unfolding, name-addr,
 * parameters and CSeq. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/sip.h"

#define S(lit) sl_slice_make((lit), strlen(lit))
#define assert_slice(s, str)                                                                       \
    cr_assert(sl_slice_eq((s), (str)), "got \"%.*s\", want \"%s\"", (int)(s).len,                  \
              (const char *)(s).ptr, (str))

Test(sip_header, full_names_any_case)
{
    static const struct {
        const char *name;
        sl_sip_hdr_id id;
    } cases[] = {
        {"Via", SL_HDR_VIA},
        {"FROM", SL_HDR_FROM},
        {"to", SL_HDR_TO},
        {"Call-ID", SL_HDR_CALL_ID},
        {"call-id", SL_HDR_CALL_ID},
        {"CSeq", SL_HDR_CSEQ},
        {"Contact", SL_HDR_CONTACT},
        {"Content-Length", SL_HDR_CONTENT_LENGTH},
        {"content-type", SL_HDR_CONTENT_TYPE},
        {"Supported", SL_HDR_SUPPORTED},
        {"Subject", SL_HDR_SUBJECT},
        {"Content-Encoding", SL_HDR_CONTENT_ENCODING},
        {"Event", SL_HDR_EVENT},
        {"Refer-To", SL_HDR_REFER_TO},
        {"Allow-Events", SL_HDR_ALLOW_EVENTS},
        {"Identity", SL_HDR_IDENTITY},
        {"Identity-Info", SL_HDR_IDENTITY_INFO},
        {"Referred-By", SL_HDR_REFERRED_BY},
        {"Session-Expires", SL_HDR_SESSION_EXPIRES},
        {"Accept-Contact", SL_HDR_ACCEPT_CONTACT},
        {"Reject-Contact", SL_HDR_REJECT_CONTACT},
        {"Request-Disposition", SL_HDR_REQUEST_DISPOSITION},
        {"User-Agent", SL_HDR_USER_AGENT},
        {"Server", SL_HDR_SERVER},
        {"Expires", SL_HDR_EXPIRES},
        {"Date", SL_HDR_DATE},
        {"P-Asserted-Identity", SL_HDR_P_ASSERTED_IDENTITY},
        {"Reason", SL_HDR_REASON},
        {"Max-Forwards", SL_HDR_MAX_FORWARDS},
        {"Route", SL_HDR_ROUTE},
        {"Record-Route", SL_HDR_RECORD_ROUTE},
        {"rECORD-rOUTE", SL_HDR_RECORD_ROUTE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(sl_sip_header_id(S(cases[i].name)), cases[i].id, "%s", cases[i].name);
}

Test(sip_header, compact_forms)
{
    static const struct {
        char c;
        sl_sip_hdr_id id;
    } cases[] = {
        {'i', SL_HDR_CALL_ID},
        {'f', SL_HDR_FROM},
        {'t', SL_HDR_TO},
        {'v', SL_HDR_VIA},
        {'m', SL_HDR_CONTACT},
        {'l', SL_HDR_CONTENT_LENGTH},
        {'c', SL_HDR_CONTENT_TYPE},
        {'k', SL_HDR_SUPPORTED},
        {'s', SL_HDR_SUBJECT},
        {'e', SL_HDR_CONTENT_ENCODING},
        {'o', SL_HDR_EVENT},
        {'r', SL_HDR_REFER_TO},
        {'u', SL_HDR_ALLOW_EVENTS},
        {'y', SL_HDR_IDENTITY},
        {'n', SL_HDR_IDENTITY_INFO},
        {'b', SL_HDR_REFERRED_BY},
        {'x', SL_HDR_SESSION_EXPIRES},
        {'a', SL_HDR_ACCEPT_CONTACT},
        {'j', SL_HDR_REJECT_CONTACT},
        {'d', SL_HDR_REQUEST_DISPOSITION},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char lo = cases[i].c, up = (char)(lo - 32);
        cr_assert_eq(sl_sip_header_id(sl_slice_make(&lo, 1)), cases[i].id, "%c", lo);
        cr_assert_eq(sl_sip_header_id(sl_slice_make(&up, 1)), cases[i].id, "%c", up);
    }
    /* letters without a compact form */
    static const char none[] = "ghpqwzGHPQWZ0-~";
    for (size_t i = 0; i < sizeof none - 1; i++)
        cr_assert_eq(sl_sip_header_id(sl_slice_make(none + i, 1)), SL_HDR_OTHER, "%c", none[i]);
}

Test(sip_header, unknown_names)
{
    static const char *const names[] = {"",         "Vias",     "Fro",
                                        "Call-IDs", "Call_ID",  "Content-Len",
                                        "X-Custom", "Tos",      "P-Asserted-Identit",
                                        "Rout",     "Contact ", " Via"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert_eq(sl_sip_header_id(S(names[i])), SL_HDR_OTHER, "'%s'", names[i]);
    /* a byte that only equals '-' after a blind |0x20 must not match */
    cr_assert_eq(sl_sip_header_id(S("Call\rID")), SL_HDR_OTHER);
    cr_assert_eq(sl_sip_header_id(sl_slice_make("Call\0ID", 7)), SL_HDR_OTHER);
    cr_assert_eq(sl_sip_header_id(sl_slice_make(NULL, 0)), SL_HDR_OTHER);
}

Test(sip_header, find_and_find_next)
{
    const char *text = "v1 v2 f1 v3";
    sl_sip_header h[4] = {
        {S("Via"), sl_slice_make(text, 2), SL_HDR_VIA},
        {S("v"), sl_slice_make(text + 3, 2), SL_HDR_VIA},
        {S("From"), sl_slice_make(text + 6, 2), SL_HDR_FROM},
        {S("Via"), sl_slice_make(text + 9, 2), SL_HDR_VIA},
    };
    sl_sip_msg m = {.headers = h, .max_headers = 4, .n_headers = 4};
    m.first[SL_HDR_VIA] = 1;
    m.first[SL_HDR_FROM] = 3;
    const sl_sip_header *v = sl_sip_find(&m, SL_HDR_VIA);
    cr_assert_eq(v, &h[0]);
    v = sl_sip_find_next(&m, v);
    cr_assert_eq(v, &h[1]);
    v = sl_sip_find_next(&m, v);
    cr_assert_eq(v, &h[3]);
    cr_assert_null(sl_sip_find_next(&m, v));
    cr_assert_eq(sl_sip_find(&m, SL_HDR_FROM), &h[2]);
    cr_assert_null(sl_sip_find_next(&m, &h[2]));
    cr_assert_null(sl_sip_find(&m, SL_HDR_TO));
    cr_assert_null(sl_sip_find(&m, SL_HDR__COUNT));
    cr_assert_null(sl_sip_find_next(&m, NULL));
    /* a stale index beyond n_headers is not followed */
    m.n_headers = 2;
    cr_assert_null(sl_sip_find(&m, SL_HDR_FROM));
    cr_assert_null(sl_sip_find_next(&m, &h[1]));
}

static size_t split(const char *value, sl_slice *out, size_t cap)
{
    sl_slice rest = S(value), e;
    size_t n = 0;
    while (sl_sip_next_element(&rest, &e)) {
        cr_assert(n < cap);
        out[n++] = e;
    }
    cr_assert_eq(rest.len, 0);
    return n;
}

Test(sip_header, next_element)
{
    sl_slice e[8];
    cr_assert_eq(split("SIP/2.0/UDP a;branch=1 , SIP/2.0/TCP b:5060;branch=2", e, 8), 2);
    assert_slice(e[0], "SIP/2.0/UDP a;branch=1");
    assert_slice(e[1], "SIP/2.0/TCP b:5060;branch=2");

    cr_assert_eq(split("\"Doe, \\\"J\\\", Jr\" <sip:j@x>;q=1, <sip:a,b@y?h=1,2>;x, sip:z@z", e, 8),
                 3);
    assert_slice(e[0], "\"Doe, \\\"J\\\", Jr\" <sip:j@x>;q=1");
    assert_slice(e[1], "<sip:a,b@y?h=1,2>;x");
    assert_slice(e[2], "sip:z@z");

    /* empty elements, folds and surrounding whitespace */
    cr_assert_eq(split(" ,, a ,\r\n\t b,,", e, 8), 2);
    assert_slice(e[0], "a");
    assert_slice(e[1], "b");

    /* an unterminated quote or bracket runs to the end */
    cr_assert_eq(split("\"a, b <sip:x>, c", e, 8), 1);
    cr_assert_eq(split("<sip:a, b", e, 8), 1);
    cr_assert_eq(split("\"a\\\", b\", c", e, 8), 2);
    assert_slice(e[1], "c");

    cr_assert_eq(split("", e, 8), 0);
    cr_assert_eq(split(" \t, ", e, 8), 0);
    sl_slice rest = sl_slice_make(NULL, 0), x;
    cr_assert_not(sl_sip_next_element(&rest, &x));
}

static const char *unfold(const char *v, size_t cap)
{
    static char out[256];
    size_t n = sl_sip_unfold(S(v), (uint8_t *)out, cap);
    cr_assert(n <= cap);
    out[n] = 0;
    return out;
}

Test(sip_header, unfold)
{
    cr_assert_str_eq(unfold("a\r\n b", 255), "a b");
    cr_assert_str_eq(unfold("a \r\n\t  b", 255), "a b");
    cr_assert_str_eq(unfold("a\n\tb\r\n c", 255), "a b c");
    cr_assert_str_eq(unfold("a  b\tc", 255), "a  b\tc", "plain whitespace stays");
    cr_assert_str_eq(unfold("abcdef", 3), "abc");
    cr_assert_str_eq(unfold("ab\r\n cd", 3), "ab ");
    cr_assert_str_eq(unfold("ab    cd", 4), "ab  ");
    cr_assert_str_eq(unfold("abc", 0), "");
    cr_assert_eq(sl_sip_unfold(sl_slice_make(NULL, 0), NULL, 0), 0);
}

Test(sip_header, nameaddr)
{
    sl_sip_nameaddr na;
    cr_assert_eq(sl_sip_nameaddr_parse(S("\"Alice \\\"Al\\\"\" <sip:a@b;x>;tag=1"), &na), SL_OK);
    assert_slice(na.display, "Alice \\\"Al\\\"");
    assert_slice(na.uri, "sip:a@b;x");
    assert_slice(na.params, ";tag=1");
    cr_assert_not(na.star);

    cr_assert_eq(sl_sip_nameaddr_parse(S("  Bob  Smith <sips:bob@[::1]:5061> ; tag = 9 "), &na),
                 SL_OK);
    assert_slice(na.display, "Bob  Smith");
    assert_slice(na.uri, "sips:bob@[::1]:5061");
    assert_slice(na.params, "; tag = 9");
    sl_slice t;
    cr_assert(sl_sip_param_get(na.params, "TAG", &t));
    assert_slice(t, "9");

    cr_assert_eq(sl_sip_nameaddr_parse(S("<sip:a@b>"), &na), SL_OK);
    cr_assert_eq(na.display.len, 0);
    assert_slice(na.uri, "sip:a@b");
    cr_assert_eq(na.params.len, 0);

    cr_assert_eq(sl_sip_nameaddr_parse(S("\"\"<tel:+1234>"), &na), SL_OK);
    cr_assert_eq(na.display.len, 0);
    assert_slice(na.uri, "tel:+1234");

    /* bare addr-spec: ';' starts header parameters */
    cr_assert_eq(sl_sip_nameaddr_parse(S("sip:a@b;tag=1;expires=5"), &na), SL_OK);
    assert_slice(na.uri, "sip:a@b");
    assert_slice(na.params, ";tag=1;expires=5");
    cr_assert_eq(sl_sip_nameaddr_parse(S("sip:a@b ;tag=1"), &na), SL_OK);
    assert_slice(na.uri, "sip:a@b");
    assert_slice(na.params, ";tag=1");

    cr_assert_eq(sl_sip_nameaddr_parse(S("*"), &na), SL_OK);
    cr_assert(na.star);
    cr_assert_eq(sl_sip_nameaddr_parse(S(" * ;expires=0"), &na), SL_OK);
    cr_assert(na.star);
    assert_slice(na.params, ";expires=0");
    cr_assert_eq(sl_sip_nameaddr_parse(S("<*>"), &na), SL_OK);
    cr_assert_not(na.star);
}

Test(sip_header, nameaddr_invalid)
{
    static const char *const bad[] = {
        "",
        "   ",
        "\"unterminated <sip:a@b>",
        "\"Alice\" sip:a@b",
        "<sip:a@b",
        "Alice <sip:a@b",
        "<>",
        "< >",
        ";tag=1",
        "<sip:a@b> junk",
        "sip:a@b junk",
        "sip:a@b, sip:c@d",
        "\"a\\\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_sip_nameaddr na;
        sl_guarded g;
        size_t n = strlen(bad[i]);
        const uint8_t *p = sl_guard(&g, bad[i], n);
        cr_assert_eq(sl_sip_nameaddr_parse(sl_slice_make(p, n), &na), SL_INVALID, "'%s'", bad[i]);
        sl_guard_free(&g);
    }
}

Test(sip_header, nameaddr_every_prefix_guarded)
{
    static const char *const inputs[] = {
        "\"Alice \\\"Al\\\", x\" <sip:a@b;x>;tag=1;q=\"a;b\"",
        "Bob <sips:bob@[::1]:5061>;tag=9",
        "sip:a@b;tag=1",
        "* ;expires=0",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = strlen(inputs[i]);
        for (size_t k = 0; k <= len; k++) {
            sl_guarded g;
            const uint8_t *p = sl_guard(&g, inputs[i], k);
            sl_slice s = sl_slice_make(p, k), rest = s, e, v;
            sl_sip_nameaddr na;
            if (sl_sip_nameaddr_parse(s, &na) == SL_OK) {
                cr_assert(na.uri.ptr >= p && na.uri.ptr + na.uri.len <= p + k);
                cr_assert(na.params.ptr >= p && na.params.ptr + na.params.len <= p + k);
                sl_sip_param_get(na.params, "tag", &v);
                sl_sip_param_get(na.params, "q", &v);
            }
            while (sl_sip_next_element(&rest, &e))
                cr_assert(e.ptr >= p && e.ptr + e.len <= p + k);
            uint8_t out[64];
            cr_assert(sl_sip_unfold(s, out, sizeof out) <= sizeof out);
            sl_guard_free(&g);
        }
    }
}

Test(sip_header, param_get)
{
    sl_slice p = S(";transport=UDP;lr; Expires = 60 ;q=0.7;info=\"a;b=c\";tag=x"), v;
    cr_assert(sl_sip_param_get(p, "transport", &v));
    assert_slice(v, "UDP");
    cr_assert(sl_sip_param_get(p, "LR", &v));
    cr_assert_eq(v.len, 0);
    cr_assert(sl_sip_param_get(p, "expires", &v));
    assert_slice(v, "60");
    cr_assert(sl_sip_param_get(p, "info", &v));
    assert_slice(v, "\"a;b=c\"");
    cr_assert(sl_sip_param_get(p, "tag", &v));
    assert_slice(v, "x");
    cr_assert_not(sl_sip_param_get(p, "b", &v), "inside a quoted value");
    cr_assert_not(sl_sip_param_get(p, "trans", &v));
    cr_assert_not(sl_sip_param_get(p, "", &v));
    cr_assert_not(sl_sip_param_get(sl_slice_make(NULL, 0), "tag", &v));

    /* without a leading ';', and the first of two */
    cr_assert(sl_sip_param_get(S("tag=1;tag=2"), "tag", &v));
    assert_slice(v, "1");
    /* empty value and an unterminated quote */
    cr_assert(sl_sip_param_get(S(";a=;b"), "a", &v));
    cr_assert_eq(v.len, 0);
    cr_assert(sl_sip_param_get(S(";a=\"x;b=1"), "a", &v));
    assert_slice(v, "\"x;b=1");
    cr_assert_not(sl_sip_param_get(S(";a=\"x;b=1"), "b", &v));
}

Test(sip_header, cseq)
{
    sl_sip_cseq c;
    cr_assert_eq(sl_sip_cseq_parse(S("314159 INVITE"), &c), SL_OK);
    cr_assert_eq(c.number, 314159);
    assert_slice(c.method, "INVITE");
    cr_assert_eq(sl_sip_cseq_parse(S(" 0001\t \r\n  ack "), &c), SL_OK);
    cr_assert_eq(c.number, 1);
    assert_slice(c.method, "ack");
    cr_assert_eq(sl_sip_cseq_parse(S("4294967295 X-Y.z"), &c), SL_OK);
    cr_assert_eq(c.number, 4294967295u);

    static const char *const bad[] = {"",          "INVITE",
                                      "1",         "1 ",
                                      "1INVITE",   "-1 INVITE",
                                      "x1 BYE",    "4294967296 BYE",
                                      "1 IN VITE", "99999999999999999999 BYE",
                                      "1 BYE;x",   "1 B\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(sl_sip_cseq_parse(S(bad[i]), &c), SL_INVALID, "'%s'", bad[i]);
        cr_assert_eq(c.number, 0);
    }
}

/* sl_bytes_ieq against a byte-by-byte reference: every pair of byte values,
 * at every position of the word paths (lengths 1 to 20). */
static bool ieq_ref(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i] >= 'A' && a[i] <= 'Z' ? (uint8_t)(a[i] + 32) : a[i];
        uint8_t y = b[i] >= 'A' && b[i] <= 'Z' ? (uint8_t)(b[i] + 32) : b[i];
        if (x != y)
            return false;
    }
    return true;
}

Test(sip_header, bytes_ieq_every_byte_pair)
{
    uint8_t a[20], b[20];
    for (unsigned x = 0; x < 256; x++) {
        for (unsigned y = 0; y < 256; y++) {
            size_t n = 1 + (x + y) % 20, at = (x * 7 + y) % n;
            memset(a, 'k', sizeof a);
            memset(b, 'K', sizeof b);
            a[at] = (uint8_t)x;
            b[at] = (uint8_t)y;
            cr_assert_eq(sl_bytes_ieq(a, b, n), ieq_ref(a, b, n), "0x%02x 0x%02x n %zu at %zu", x,
                         y, n, at);
        }
    }
    cr_assert(sl_slice_ieq(S("Content-Length"), "content-length"));
    cr_assert(!sl_slice_ieq(S("Content-Lengtx"), "content-length"));
    cr_assert(sl_slice_istarts(S("application/SDP;x"), "Application/sdp"));
    cr_assert(!sl_slice_istarts(S("app"), "application"));
}

/* Quoted display names of every length around the 16-byte scan blocks, with
 * an escaped quote and backslash at each position, and cut after a
 * backslash. */
Test(sip_header, nameaddr_quoted_lengths)
{
    char text[128], want[64];
    for (size_t len = 0; len < 40; len++) {
        for (size_t at = 0; at + 2 <= len; at++) {
            memset(want, 'd', len);
            memcpy(want + at, at % 2 ? "\\\"" : "\\\\", 2);
            int n = snprintf(text, sizeof text, "\"%.*s\" <sip:a@b>;tag=x", (int)len, want);
            sl_guarded g;
            const uint8_t *p = sl_guard(&g, text, (size_t)n);
            sl_sip_nameaddr na;
            cr_assert_eq(sl_sip_nameaddr_parse(sl_slice_make(p, (size_t)n), &na), SL_OK,
                         "len %zu at %zu", len, at);
            cr_assert(na.display.len == len && memcmp(na.display.ptr, want, len) == 0);
            assert_slice(na.uri, "sip:a@b");
            /* cut right after the backslash: the quote never closes */
            size_t cut = 1 + at + 1;
            cr_assert_eq(sl_sip_nameaddr_parse(sl_slice_make(p, cut), &na), SL_INVALID);
            sl_guard_free(&g);
        }
    }
}

/* Parameter values of every length around the 8- and 16-byte scan paths, the
 * next ';' at each position, and a quoted ';' that does not end the value. */
Test(sip_header, param_value_lengths)
{
    char text[128], val[64];
    for (size_t len = 0; len < 40; len++) {
        for (size_t at = 0; at <= 2 * len + 1; at++) {
            /* the tag first (the inline path) or second */
            const char *before = at > len ? "" : ";x=1";
            size_t cut = at > len ? at - len - 1 : at;
            memset(val, 'v', len);
            if (cut < len)
                val[cut] = ';';
            int n = snprintf(text, sizeof text, "%s;tag=%.*s", before, (int)len, val);
            sl_guarded g;
            const uint8_t *p = sl_guard(&g, text, (size_t)n);
            sl_slice v;
            cr_assert(sl_sip_param_get(sl_slice_make(p, (size_t)n), "tag", &v));
            cr_assert_eq(v.len, cut, "len %zu at %zu: got %zu", len, at, v.len);
            cr_assert_eq(v.ptr, p + strlen(before) + 5);
            cr_assert(sl_sip_param_get(sl_slice_make(p, (size_t)n), "TAG", &v));
            cr_assert_eq(v.len, cut);
            sl_guard_free(&g);
        }
        if (len >= 4) {
            memset(val, 'q', len);
            val[1] = '"';
            val[2] = ';';
            val[len - 1] = '"';
            int n = snprintf(text, sizeof text, ";tag=%.*s;y", (int)len, val);
            sl_slice v;
            cr_assert(sl_sip_param_get(sl_slice_make(text, (size_t)n), "tag", &v));
            cr_assert_eq(v.len, len, "quoted, len %zu", len);
        }
    }
}

/* sl_sip_next_element against a byte-by-byte state machine (RFC 3261 7.3.1:
 * commas inside a quoted string or <...> do not split), on random lists of
 * commas, quotes, brackets, backslashes, spaces and letters. */
static size_t ref_element_end(const uint8_t *p, size_t n, size_t i)
{
    bool quoted = false, angle = false;
    for (; i < n; i++) {
        if (quoted) {
            if (p[i] == '\\' && i + 1 < n)
                i++;
            else if (p[i] == '"')
                quoted = false;
        } else if (angle) {
            angle = p[i] != '>';
        } else if (p[i] == '"') {
            quoted = true;
        } else if (p[i] == '<') {
            angle = true;
        } else if (p[i] == ',') {
            break;
        }
    }
    return i;
}

Test(sip_header, next_element_matches_reference)
{
    static const char alphabet[] = ",\"<>\\ aaaaaaaaaaaaaaaa";
    uint8_t text[80];
    unsigned seed = 7;
    for (unsigned round = 0; round < 5000; round++) {
        size_t n = (size_t)rand_r(&seed) % sizeof text;
        for (size_t i = 0; i < n; i++)
            text[i] = (uint8_t)alphabet[(unsigned)rand_r(&seed) % (sizeof alphabet - 1)];
        sl_guarded g;
        const uint8_t *p = sl_guard(&g, text, n);
        sl_slice rest = sl_slice_make(p, n), elem;
        size_t i = 0;
        for (;;) {
            while (i < n && (sl_is_lws(p[i]) || p[i] == ','))
                i++;
            bool more = sl_sip_next_element(&rest, &elem);
            cr_assert_eq(more, i < n, "round %u", round);
            if (!more)
                break;
            size_t end = ref_element_end(p, n, i);
            sl_slice want = sl_slice_trim(sl_slice_make(p + i, end - i));
            cr_assert(elem.ptr == want.ptr && elem.len == want.len, "round %u", round);
            cr_assert_eq(rest.ptr, p + end, "round %u", round);
            i = end;
        }
        sl_guard_free(&g);
    }
}

/* Numbers at the edges: the limit, one above, 19 and 20 digits, leading
 * zeros, the largest 64-bit value and one above it. */
Test(sip_header, slice_to_u64_edges)
{
    static const struct {
        const char *text;
        uint64_t max;
        bool ok;
        uint64_t value;
    } cases[] = {
        {"0", 10, true, 0},
        {"10", 10, true, 10},
        {"11", 10, false, 0},
        {"9999999999999999999", UINT64_MAX, true, 9999999999999999999u},
        {"9999999999999999999", 9999999999999999998u, false, 0},
        {"00000000000000000001", 1, true, 1},
        {"18446744073709551615", UINT64_MAX, true, UINT64_MAX},
        {"18446744073709551616", UINT64_MAX, false, 0},
        {"99999999999999999999", UINT64_MAX, false, 0},
        {"", UINT64_MAX, false, 0},
        {"12a", UINT64_MAX, false, 0},
        {"+1", UINT64_MAX, false, 0},
        {" 1", UINT64_MAX, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        bool ok = sl_slice_to_u64(S(cases[i].text), cases[i].max, &v);
        cr_assert_eq(ok, cases[i].ok, "\"%s\"", cases[i].text);
        if (ok)
            cr_assert_eq(v, cases[i].value, "\"%s\"", cases[i].text);
    }
}
