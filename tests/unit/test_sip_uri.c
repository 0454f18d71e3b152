/* URI parsing: sip/sips parts, IPv6 references, tel numbers, other schemes,
 * and rejection of malformed ports, hosts and schemes. */
#include <criterion/criterion.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/sip.h"

#define S(lit) sl_slice_make((lit), strlen(lit))
#define assert_slice(s, str)                                                                       \
    cr_assert(sl_slice_eq((s), (str)), "got \"%.*s\", want \"%s\"", (int)(s).len,                  \
              (const char *)(s).ptr, (str))

Test(sip_uri, all_parts)
{
    sl_sip_uri u;
    cr_assert_eq(sl_sip_uri_parse(S("sips:alice:secr3t@atlanta.example.com:5061;transport=tcp;lr"
                                    "?subject=project%20x&priority=urgent"),
                                  &u),
                 SL_OK);
    cr_assert_eq(u.scheme, SL_URI_SIPS);
    assert_slice(u.scheme_text, "sips");
    assert_slice(u.user, "alice");
    assert_slice(u.password, "secr3t");
    assert_slice(u.host, "atlanta.example.com");
    cr_assert_eq(u.port, 5061);
    assert_slice(u.params, ";transport=tcp;lr");
    assert_slice(u.headers, "subject=project%20x&priority=urgent");
}

Test(sip_uri, host_only_and_defaults)
{
    sl_sip_uri u;
    cr_assert_eq(sl_sip_uri_parse(S("sip:biloxi.example.com"), &u), SL_OK);
    cr_assert_eq(u.scheme, SL_URI_SIP);
    cr_assert_eq(u.user.len, 0);
    cr_assert_eq(u.password.len, 0);
    assert_slice(u.host, "biloxi.example.com");
    cr_assert_eq(u.port, -1);
    cr_assert_eq(u.params.len, 0);
    cr_assert_eq(u.headers.len, 0);

    cr_assert_eq(sl_sip_uri_parse(S("SIP:Bob@192.0.2.4:0"), &u), SL_OK);
    cr_assert_eq(u.scheme, SL_URI_SIP);
    assert_slice(u.user, "Bob");
    assert_slice(u.host, "192.0.2.4");
    cr_assert_eq(u.port, 0);

    cr_assert_eq(sl_sip_uri_parse(S("sip:my_host-1.example:65535?x=y"), &u), SL_OK);
    assert_slice(u.host, "my_host-1.example");
    cr_assert_eq(u.port, 65535);
    assert_slice(u.headers, "x=y");
    cr_assert_eq(u.params.len, 0);
}

Test(sip_uri, ipv6)
{
    sl_sip_uri u;
    cr_assert_eq(sl_sip_uri_parse(S("sip:bob@[2001:db8::10]:5070;transport=udp"), &u), SL_OK);
    assert_slice(u.host, "[2001:db8::10]");
    cr_assert_eq(u.port, 5070);
    assert_slice(u.params, ";transport=udp");

    cr_assert_eq(sl_sip_uri_parse(S("sips:[::ffff:192.0.2.1]"), &u), SL_OK);
    assert_slice(u.host, "[::ffff:192.0.2.1]");
    cr_assert_eq(u.port, -1);
}

Test(sip_uri, user_with_reserved_chars)
{
    sl_sip_uri u;
    /* a user part may hold ';' (RFC 3261 19.1.1: user-unreserved) */
    cr_assert_eq(sl_sip_uri_parse(S("sip:alice;day=tuesday@atlanta.com;maddr=239.255.255.1"), &u),
                 SL_OK);
    assert_slice(u.user, "alice;day=tuesday");
    assert_slice(u.host, "atlanta.com");
    assert_slice(u.params, ";maddr=239.255.255.1");

    cr_assert_eq(sl_sip_uri_parse(S("sip:+12125551212@gw.example.com;user=phone"), &u), SL_OK);
    assert_slice(u.user, "+12125551212");

    /* a raw '@' in a header value does not move the userinfo */
    cr_assert_eq(sl_sip_uri_parse(S("sip:bob@b.example?Replaces=1234@192.0.2.1%3Bto-tag%3D1"), &u),
                 SL_OK);
    assert_slice(u.user, "bob");
    assert_slice(u.host, "b.example");
    assert_slice(u.headers, "Replaces=1234@192.0.2.1%3Bto-tag%3D1");
    cr_assert_eq(sl_sip_uri_parse(S("sip:b.example?Replaces=1@h"), &u), SL_OK);
    cr_assert_eq(u.user.len, 0);
    assert_slice(u.host, "b.example");

    /* an empty password is still a password */
    cr_assert_eq(sl_sip_uri_parse(S("sip:u:@h"), &u), SL_OK);
    assert_slice(u.user, "u");
    cr_assert_eq(u.password.len, 0);
}

Test(sip_uri, tel)
{
    sl_sip_uri u;
    cr_assert_eq(sl_sip_uri_parse(S("tel:+1-201-555-0123"), &u), SL_OK);
    cr_assert_eq(u.scheme, SL_URI_TEL);
    assert_slice(u.user, "+1-201-555-0123");
    cr_assert_eq(u.host.len, 0);
    cr_assert_eq(u.port, -1);

    cr_assert_eq(sl_sip_uri_parse(S("TEL:7042;phone-context=example.com"), &u), SL_OK);
    assert_slice(u.user, "7042");
    assert_slice(u.params, ";phone-context=example.com");

    cr_assert_eq(sl_sip_uri_parse(S("tel:*67#;phone-context=+1"), &u), SL_OK);
    assert_slice(u.user, "*67#");
    cr_assert_eq(sl_sip_uri_parse(S("tel:+1(201)555.0123"), &u), SL_OK);
}

Test(sip_uri, other_schemes)
{
    sl_sip_uri u;
    cr_assert_eq(sl_sip_uri_parse(S("urn:service:sos"), &u), SL_OK);
    cr_assert_eq(u.scheme, SL_URI_OTHER);
    assert_slice(u.scheme_text, "urn");
    cr_assert_eq(sl_sip_uri_parse(S("https://certs.example.org/sp.pem"), &u), SL_OK);
    cr_assert_eq(u.scheme, SL_URI_OTHER);
    assert_slice(u.scheme_text, "https");
    cr_assert_eq(u.port, -1);
    cr_assert_eq(sl_sip_uri_parse(S("sipx:foo"), &u), SL_OK);
    cr_assert_eq(u.scheme, SL_URI_OTHER);
    cr_assert_eq(sl_sip_uri_parse(S("im:x"), &u), SL_OK);
}

Test(sip_uri, invalid)
{
    static const char *const bad[] = {
        "",
        "sip",
        "sip:",
        ":x",
        "1sip:a@b",
        "alice@example.com",
        "sip:a@b:65536",
        "sip:a@b:99999999999",
        "sip:a@b:50a0",
        "sip:a@b:",
        "sip:a@b:-1",
        "sip:a@b:5060x",
        "sip:@b",
        "sip::pw@b",
        "sip:a@",
        "sip:a@;x",
        "sip:a@b c",
        "sip:a@b\r\n",
        "sip:a@b>",
        "sip:a@b/path",
        "sip:[::1",
        "sip:[]",
        "sip:[1.2.3.4]",
        "sip:[zz::1]",
        "sip:[::1]x",
        "sip:[::1]:",
        "sips:a@[::1]:70000",
        "tel:",
        "tel:;x=1",
        "tel:alice",
        "tel:+1 201",
        "http://a b",
        "sip:a\x01@b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_sip_uri u;
        size_t n = strlen(bad[i]);
        sl_guarded g;
        const uint8_t *p = sl_guard(&g, bad[i], n);
        cr_assert_eq(sl_sip_uri_parse(sl_slice_make(p, n), &u), SL_INVALID, "'%s'", bad[i]);
        sl_guard_free(&g);
    }
}

Test(sip_uri, every_prefix_guarded)
{
    static const char *const uris[] = {
        "sips:alice:secr3t@atlanta.example.com:5061;transport=tcp;lr?subject=a&b=c",
        "sip:bob@[2001:db8::10]:5070;transport=udp",
        "tel:+1-201-555-0123;phone-context=x",
        "urn:service:sos",
    };
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        size_t len = strlen(uris[i]);
        for (size_t k = 0; k <= len; k++) {
            sl_guarded g;
            const uint8_t *p = sl_guard(&g, uris[i], k);
            sl_sip_uri u;
            if (sl_sip_uri_parse(sl_slice_make(p, k), &u) == SL_OK) {
                const sl_slice parts[] = {u.scheme_text, u.user,   u.password,
                                          u.host,        u.params, u.headers};
                for (size_t j = 0; j < sizeof parts / sizeof parts[0]; j++)
                    cr_assert(parts[j].ptr >= p && parts[j].ptr + parts[j].len <= p + k);
                cr_assert(u.port >= -1 && u.port <= 65535);
            }
            sl_guard_free(&g);
        }
    }
}

/* Every byte value inside a host and after the scheme: a host keeps its
 * letters, digits, '-', '.' and '_' (RFC 3261 hostname, plus '_'); a control
 * byte or space anywhere after the scheme makes the URI invalid. */
Test(sip_uri, every_byte_in_host)
{
    for (unsigned c = 0; c < 256; c++) {
        uint8_t text[] = {'s', 'i', 'p', ':', 'h', (uint8_t)c, 'h'};
        sl_sip_uri u;
        sl_status st = sl_sip_uri_parse(sl_slice_make(text, sizeof text), &u);
        bool host_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        cr_assert_eq(st == SL_OK && u.host.len == 3, host_char, "byte 0x%02x", c);
        if (c <= ' ' || c == 0x7f)
            cr_assert_eq(st, SL_INVALID, "byte 0x%02x", c);
    }
}

/* The scheme in every case mix, and near misses that are other schemes. */
Test(sip_uri, scheme_any_case)
{
    static const struct {
        const char *text;
        sl_uri_scheme scheme;
    } cases[] = {
        {"sip:a@b", SL_URI_SIP},   {"SIP:a@b", SL_URI_SIP},   {"sIp:a@b", SL_URI_SIP},
        {"sips:a@b", SL_URI_SIPS}, {"SIPS:a@b", SL_URI_SIPS}, {"siPs:a@b", SL_URI_SIPS},
        {"tel:+1", SL_URI_TEL},    {"TEL:+1", SL_URI_TEL},    {"tEl:+1", SL_URI_TEL},
        {"sipx:a", SL_URI_OTHER},  {"si:a", SL_URI_OTHER},    {"s1p:a", SL_URI_OTHER},
        {"tek:1", SL_URI_OTHER},   {"tels:1", SL_URI_OTHER},  {"sip.:a", SL_URI_OTHER},
        {"sip+:a", SL_URI_OTHER},  {"urn:x", SL_URI_OTHER},   {"sipss:a", SL_URI_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_sip_uri u;
        cr_assert_eq(sl_sip_uri_parse(S(cases[i].text), &u), SL_OK, "%s", cases[i].text);
        cr_assert_eq(u.scheme, cases[i].scheme, "%s", cases[i].text);
    }
}
