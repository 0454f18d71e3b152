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
