/* The pure identity parsers: Identity / Identity-Info values (with the
 * tolerated malformed variants), base64 and base64url, PASSporT claim types,
 * and TN canonicalization. Inputs end at a guard page; every prefix is tried. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/base64.h"
#include "sipsleuth/identity_header.h"
#include "sipsleuth/passport.h"

#define TOKEN                                                                                      \
    "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jLmV4YW1w" \
    "bGUvc3AucGVtIn0.eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxMjE1NTU1MDE5OSJdfSwiaWF0IjoxNzAwMDAw" \
    "MDAwLCJvcmlnIjp7InRuIjoiMTIxNTU1NTAxMDEifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2" \
    "NjE0MTc0MDAwIn0.k4SpZ9Wd1Ph0ewL0djoM5vZKURYs-XA3VT8ub42PYBC5xb_gmmtB9sLzC6jzPyxjQ48X9vhqdu-"  \
    "gwv"                                                                                          \
    "DGgyAQpg"

static sl_guarded g;

static sl_status parse(const char *text, sl_identity_hdr *h)
{
    const uint8_t *p = sl_guard(&g, text, strlen(text));
    return sl_identity_header_parse(sl_slice_make(p, strlen(text)), h);
}

static void teardown(void)
{
    sl_guard_free(&g);
}

TestSuite(identity_header, .fini = teardown);

Test(identity_header, full_form)
{
    sl_identity_hdr h;
    cr_assert_eq(parse(TOKEN ";info=<https://c.example/sp.pem>;alg=ES256;ppt=shaken", &h), SL_OK);
    cr_assert_eq(h.form, SL_IDENTITY_FULL);
    cr_assert(sl_slice_eq(h.info, "https://c.example/sp.pem"));
    cr_assert(sl_slice_eq(h.alg, "ES256"));
    cr_assert(sl_slice_eq(h.ppt, "shaken"));
    cr_assert_eq(h.flags, 0);
    cr_assert_eq(h.signature.len, 86);
    cr_assert_eq(h.signing_input.len, strlen(TOKEN) - 87);
}

Test(identity_header, tolerated_variants_are_flagged)
{
    sl_identity_hdr h;
    cr_assert_eq(parse(TOKEN ";info=<https://c.example/sp.pem>alg=ES256;ppt=\"shaken\"", &h),
                 SL_OK);
    cr_assert(sl_slice_eq(h.alg, "ES256"));
    cr_assert(sl_slice_eq(h.ppt, "shaken"));
    cr_assert_eq(h.flags, SL_IDH_F_MISSING_SEMI | SL_IDH_F_QUOTED_PARAM);
    cr_assert_eq(parse("\"" TOKEN "\";info=https://c.example/sp.pem;alg=ES256", &h), SL_OK);
    cr_assert_eq(h.form, SL_IDENTITY_FULL);
    cr_assert(sl_slice_eq(h.info, "https://c.example/sp.pem"));
    cr_assert_eq(h.flags, SL_IDH_F_QUOTED_TOKEN | SL_IDH_F_INFO_NO_BRACKETS);
    cr_assert_eq(parse(TOKEN, &h), SL_OK);
    cr_assert_eq(h.flags, SL_IDH_F_NO_INFO);
}

Test(identity_header, compact_and_rfc4474)
{
    sl_identity_hdr h;
    cr_assert_eq(parse("..c2ln;info=<https://x/y>;alg=ES256", &h), SL_OK);
    cr_assert_eq(h.form, SL_IDENTITY_COMPACT);
    cr_assert(sl_slice_eq(h.signature, "c2ln"));
    cr_assert_eq(parse("\"c2lnbmF0dXJl\"", &h), SL_OK);
    cr_assert_eq(h.form, SL_IDENTITY_RFC4474);
    cr_assert(sl_slice_eq(h.signature, "c2lnbmF0dXJl"));
    cr_assert_eq(sl_identity_info_parse(SL_SLICE_LIT("<https://a.example/a.cer>alg=rsa-sha1"), &h),
                 SL_OK);
    cr_assert(sl_slice_eq(h.info, "https://a.example/a.cer"));
    cr_assert(sl_slice_eq(h.alg, "rsa-sha1"));
    cr_assert(h.flags & SL_IDH_F_MISSING_SEMI);
}

Test(identity_header, invalid)
{
    sl_identity_hdr h;
    const char *bad[] = {"",
                         "abc",
                         "a.b",
                         "a.b.c.d",
                         "a..c",
                         ".b.c",
                         "a.b.",
                         "\"unterminated",
                         TOKEN ";info=<https://x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(parse(bad[i], &h), SL_INVALID, "%s", bad[i]);
}

Test(identity_header, every_prefix_stays_in_bounds)
{
    const char *full = TOKEN ";info=<https://c.example/sp.pem>;alg=ES256;ppt=\"shaken\"";
    for (size_t n = 0; n <= strlen(full); n++) {
        sl_identity_hdr h;
        const uint8_t *p = sl_guard(&g, full, n);
        sl_identity_header_parse(sl_slice_make(p, n), &h);
        sl_guard_free(&g);
    }
}

Test(base64, url_and_standard)
{
    uint8_t out[16];
    size_t n;
    cr_assert_eq(sl_base64url_decode(SL_SLICE_LIT("_-8"), out, sizeof out, &n), SL_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(out[0], 0xff);
    cr_assert_eq(out[1], 0xef);
    cr_assert_eq(sl_base64url_decode(SL_SLICE_LIT("aGk="), out, sizeof out, &n), SL_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(sl_base64url_decode(SL_SLICE_LIT("a+k"), out, sizeof out, &n), SL_INVALID);
    cr_assert_eq(sl_base64url_decode(SL_SLICE_LIT("a"), out, sizeof out, &n), SL_INVALID);
    cr_assert_eq(sl_base64url_decode(SL_SLICE_LIT("aGVsbG8gd29ybGQgaGVsbG8"), out, 4, &n),
                 SL_NOMEM);
    cr_assert_eq(sl_base64_decode(SL_SLICE_LIT("aGVs\r\n bG8="), out, sizeof out, &n), SL_OK);
    cr_assert_eq(n, 5);
    cr_assert_eq(memcmp(out, "hello", 5), 0);
    cr_assert_eq(sl_base64_decode(SL_SLICE_LIT("aG=k"), out, sizeof out, &n), SL_INVALID);
    char enc[16];
    cr_assert_eq(sl_base64url_encode((const uint8_t *)"\xff\xef", 2, enc, sizeof enc), 3);
    cr_assert_str_eq(enc, "_-8");
}

static bool decode_json(const char *header, const char *payload, sl_passport *pp)
{
    char h[512], p[512];
    sl_base64url_encode((const uint8_t *)header, strlen(header), h, sizeof h);
    sl_base64url_encode((const uint8_t *)payload, strlen(payload), p, sizeof p);
    return sl_passport_decode(sl_slice_make(h, strlen(h)), sl_slice_make(p, strlen(p)), pp);
}

#define HDR "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://x/y\"}"

Test(passport, decodes_claims)
{
    sl_passport pp;
    cr_assert(decode_json(HDR,
                          "{\"attest\":\"A\",\"dest\":{\"tn\":[\"1\",\"2\"]},\"iat\":17,"
                          "\"orig\":{\"tn\":\"3\"},\"origid\":\"u\"}",
                          &pp));
    cr_assert_str_eq(pp.ppt, "shaken");
    cr_assert_str_eq(pp.x5u, "https://x/y");
    cr_assert_eq(pp.iat, 17);
    cr_assert_eq(pp.n_dest, 2);
    cr_assert_str_eq(pp.dest_tn[1], "2");
    cr_assert_str_eq(pp.orig_tn, "3");
    cr_assert_str_eq(pp.attest, "A");
}

Test(passport, type_errors_are_malformed)
{
    sl_passport pp;
    cr_assert_not(decode_json(
        HDR, "{\"dest\":{\"tn\":[\"1\"]},\"iat\":\"17\",\"orig\":{\"tn\":\"3\"}}", &pp));
    cr_assert(strstr(pp.error, "iat is a string"), "%s", pp.error);
    cr_assert_not(
        decode_json(HDR, "{\"dest\":{\"tn\":\"1\"},\"iat\":17,\"orig\":{\"tn\":\"3\"}}", &pp));
    cr_assert(strstr(pp.error, "dest.tn is not an array"), "%s", pp.error);
    cr_assert_not(
        decode_json(HDR, "{\"dest\":{\"tn\":[1]},\"iat\":17,\"orig\":{\"tn\":\"3\"}}", &pp));
    cr_assert_not(decode_json("{\"alg\":5}", "{}", &pp));
    cr_assert_not(decode_json("[]", "{}", &pp));
    cr_assert_not(sl_passport_decode(SL_SLICE_LIT("!!"), SL_SLICE_LIT("e30"), &pp));
    cr_assert(strstr(pp.error, "base64url"));
}

/* The allocation-free reader takes the usual PASSporT itself... */
Test(passport, fast_reader_takes_the_common_case)
{
    sl_passport pp;
    memset(&pp, 0, sizeof pp);
    const char *h = HDR, *p = "{\"attest\":\"A\",\"dest\":{\"tn\":[\"1\",\"2\"]},\"iat\":-17,"
                              "\"orig\":{\"tn\":\"3\"},\"origid\":\"u\",\"x\":[true,null,{}]}";
    cr_assert(sl_passport_fast_header((const uint8_t *)h, strlen(h), &pp));
    cr_assert(sl_passport_fast_payload((const uint8_t *)p, strlen(p), &pp));
    cr_assert_str_eq(pp.alg, "ES256");
    cr_assert_eq(pp.iat, -17);
    cr_assert_eq(pp.n_dest, 2);
    cr_assert_str_eq(pp.origid, "u");
    /* ...and leaves the rest to jansson, without touching pp. */
    const char *others[] = {
        "{\"alg\":\"ES\\u0032\"}",
        "{\"alg\":\"ES256\",\"alg\":\"ES256\"}",
        "{\"alg\":1}",
        "{\"alg\":\"\xc3\xa9\"}",
        "{\"alg\":\"a\",\"n\":1.5}",
        "{\"alg\":\"a\",}",
        "{\"alg\":\"a\"} x",
        "{\"alg\":\"a\",\"n\":01}",
        "[]",
        "{\"alg\":\"a\",\"n\":1234567890123456789}",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        sl_passport q;
        memset(&q, 0, sizeof q);
        cr_assert_not(sl_passport_fast_header((const uint8_t *)others[i], strlen(others[i]), &q),
                      "%s", others[i]);
        cr_assert_eq(q.alg[0], '\0');
    }
}

/* Whichever reader takes a part, the result is jansson's: same claims,
 * same verdict, same message. */
Test(passport, same_as_jansson)
{
    static const char *const headers[] = {
        HDR,
        "{\"alg\":\"ES256\"}",
        " {\r\n\t\"alg\" : \"ES256\" , \"x5u\":\"\" } \n",
        "{\"alg\":\"ES\\u0032\\u00356\",\"ppt\":\"shaken\"}",
        "{\"alg\":\"ES256\",\"alg\":\"RS256\"}",
        "{\"alg\":\"ES256\",\"ppt\":5}",
        "{\"alg\":\"ES256\",\"typ\":\"0123456789012345678901234567890123456789\"}",
        "{\"alg\":\"ES256\",\"k\":{\"a\":1,\"a\":2}}",
        "{\"alg\":\"ES256\",\"k\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
        "{\"alg\":\"ES256\",\"k\":tru}",
        "{\"alg\":\"ES256\",\"k\":truee}",
        "{\"alg\":null}",
        "{}",
        "{\"alg\":\"ES256\"",
        "{\"alg\":\"ES256\"}}",
        "{\"alg\":\"E\x7fS\"}",
    };
    static const char *const payloads[] = {
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"3\"}}",
        "{\"dest\":{},\"iat\":0,\"orig\":{}}",
        "{\"dest\":{\"tn\":[]},\"iat\":-0,\"orig\":{\"tn\":\"3\"}}",
        "{\"dest\":{\"tn\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",9]},\"iat\":1}",
        "{\"dest\":{\"tn\":[\"1\",2]},\"iat\":1,\"orig\":{}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17.0,\"orig\":{\"tn\":\"3\"}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":1e3,\"orig\":{\"tn\":\"3\"}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":999999999999999999,\"orig\":{}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":9223372036854775807,\"orig\":{}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":9223372036854775808,\"orig\":{}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"\\u0000\"}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"\\ud800\"}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"a\\\"b\"}}",
        "{\"dest\":{\"tn\":\"1\"},\"iat\":17,\"orig\":{\"tn\":\"3\"}}",
        "{\"dest\":[],\"iat\":17,\"orig\":{\"tn\":\"3\"}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":3}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"3\"},\"attest\":\"AB\"}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"3\"},\"attest\":\"ABCDEFGH\"}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":17,\"orig\":{\"tn\":\"3\"},\"origid\":[]}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":-,\"orig\":{}}",
        "{\"dest\":{\"tn\":[\"1\"]},\"iat\":\"17\",\"orig\":{}}",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        for (size_t j = 0; j < sizeof payloads / sizeof payloads[0]; j++) {
            char h[512], p[512];
            sl_base64url_encode((const uint8_t *)headers[i], strlen(headers[i]), h, sizeof h);
            sl_base64url_encode((const uint8_t *)payloads[j], strlen(payloads[j]), p, sizeof p);
            sl_slice hs = sl_slice_make(h, strlen(h)), ps = sl_slice_make(p, strlen(p));
            sl_passport a, b;
            bool ok_a = sl_passport_decode(hs, ps, &a),
                 ok_b = sl_passport_decode_jansson(hs, ps, &b);
            cr_assert_eq(ok_a, ok_b, "%s %s", headers[i], payloads[j]);
            cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "%s %s: %s / %s", headers[i], payloads[j],
                         a.error, b.error);
        }
}

Test(canon, rfc8224_section_8_3)
{
    char out[SL_TN_MAX];
    cr_assert(sl_tn_canon(SL_SLICE_LIT("+1 (215) 555-0101"), out, sizeof out));
    cr_assert_str_eq(out, "12155550101");
    cr_assert(sl_tn_canon(SL_SLICE_LIT("+1.215.555.0101;npdi"), out, sizeof out));
    cr_assert_str_eq(out, "12155550101");
    cr_assert(sl_tn_canon(SL_SLICE_LIT("*67#"), out, sizeof out));
    cr_assert_not(sl_tn_canon(SL_SLICE_LIT("alice"), out, sizeof out));
    cr_assert_not(sl_tn_canon(SL_SLICE_LIT("1+2"), out, sizeof out));
    cr_assert_not(sl_tn_canon(SL_SLICE_LIT("123456"), out, 4));
}
