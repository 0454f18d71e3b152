/* The event writer must produce valid JSON for any bytes a packet can hold. */
#include "../../src/output/json_writer.h"
#include "sipsleuth/event.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>

/* Writes one string value and parses the result back with jansson. */
static json_t *roundtrip(const void *bytes, size_t n)
{
    sl_jw w;
    sl_jw_init(&w);
    sl_jw_arr_begin(&w);
    sl_jw_bytes(&w, bytes, n);
    sl_jw_arr_end(&w);
    json_error_t err;
    json_t *doc = json_loadb(w.buf, w.len, 0, &err);
    cr_assert_not_null(doc, "invalid JSON (%s): %.*s", err.text, (int)w.len, w.buf);
    sl_jw_free(&w);
    json_t *s = json_array_get(doc, 0);
    cr_assert(json_is_string(s));
    json_incref(s);
    json_decref(doc);
    return s;
}

static void expect_string(const void *in, size_t n, const char *want, size_t want_len)
{
    json_t *s = roundtrip(in, n);
    cr_assert_eq(json_string_length(s), want_len);
    cr_assert(memcmp(json_string_value(s), want, want_len) == 0);
    json_decref(s);
}

Test(json_writer, ascii_and_escapes_roundtrip)
{
    const char in[] = "a\"b\\c\r\n\t/ \x01\x1f\x7f";
    expect_string(in, sizeof in - 1, in, sizeof in - 1);
}

Test(json_writer, nul_byte_is_escaped)
{
    const char in[] = {'x', 0, 'y'};
    sl_jw w;
    sl_jw_init(&w);
    sl_jw_bytes(&w, in, 3);
    cr_assert_eq(w.len, strlen("\"x\\u0000y\""));
    cr_assert(memcmp(w.buf, "\"x\\u0000y\"", w.len) == 0);
    sl_jw_free(&w);
}

Test(json_writer, valid_utf8_is_kept)
{
    const char in[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e";
    expect_string(in, sizeof in - 1, in, sizeof in - 1);
}

Test(json_writer, invalid_utf8_becomes_replacement_char)
{
    static const struct {
        const char *in;
        size_t n;
    } cases[] = {
        {"\x80", 1},             /* lone continuation */
        {"\xc3", 1},             /* cut sequence */
        {"\xc0\x80", 2},         /* overlong NUL: two replacements */
        {"\xe0\x80\x80", 3},     /* overlong 3-byte */
        {"\xed\xa0\x80", 3},     /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4}, /* above U+10FFFF */
        {"\xff\xfe", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = roundtrip(cases[i].in, cases[i].n);
        const char *v = json_string_value(s);
        /* every invalid byte became U+FFFD (EF BF BD) and nothing else got through */
        cr_assert_eq(json_string_length(s) % 3, 0, "case %zu", i);
        for (size_t k = 0; k < json_string_length(s); k += 3)
            cr_assert(memcmp(v + k, "\xef\xbf\xbd", 3) == 0, "case %zu", i);
        json_decref(s);
    }
}

Test(json_writer, random_bytes_always_valid_json)
{
    srand(12345);
    uint8_t buf[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        sl_jw w;
        sl_jw_init(&w);
        sl_jw_obj_begin(&w);
        sl_jw_key_untrusted(&w, (const char *)"k");
        sl_jw_bytes(&w, buf, n);
        sl_jw_obj_end(&w);
        json_error_t err;
        /* \u0000 is valid JSON (RFC 8259); jansson wants it allowed explicitly */
        json_t *doc = json_loadb(w.buf, w.len, JSON_ALLOW_NUL, &err);
        sl_jw_free(&w);
        cr_assert_not_null(doc, "iteration %d: %s", iter, err.text);
        json_decref(doc);
    }
}

Test(json_writer, commas_and_nesting)
{
    sl_jw w;
    sl_jw_init(&w);
    sl_jw_obj_begin(&w);
    sl_jw_kint(&w, "a", -5);
    sl_jw_key(&w, "b");
    sl_jw_arr_begin(&w);
    sl_jw_uint(&w, 1);
    sl_jw_obj_begin(&w);
    sl_jw_knull(&w, "n");
    sl_jw_obj_end(&w);
    sl_jw_bool(&w, true);
    sl_jw_arr_end(&w);
    sl_jw_kms(&w, "ms", 2104.34);
    sl_jw_kslice_or_null(&w, "e", sl_slice_make("", 0));
    sl_jw_obj_end(&w);
    const char want[] = "{\"a\":-5,\"b\":[1,{\"n\":null},true],\"ms\":2104.3,\"e\":null}";
    cr_assert_eq(w.len, sizeof want - 1);
    cr_assert(memcmp(w.buf, want, w.len) == 0, "%.*s", (int)w.len, w.buf);
    sl_jw_free(&w);
}

Test(json_writer, non_finite_double_is_null)
{
    sl_jw w;
    sl_jw_init(&w);
    sl_jw_double(&w, 0.0 / 0.0, 1);
    cr_assert(w.len == 4 && memcmp(w.buf, "null", 4) == 0);
    sl_jw_free(&w);
}

Test(sltime, rfc3339_utc_microseconds)
{
    char buf[SL_TIME_TEXT_LEN];
    /* expected values from Python's datetime.fromtimestamp(t, timezone.utc) */
    cr_assert_eq(sl_time_format(0, buf), 27);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00.000000Z");
    sl_time_format(1772359200 * SL_NS_PER_SEC + 123456789, buf);
    cr_assert_str_eq(buf, "2026-03-01T10:00:00.123456Z"); /* sub-µs truncated */
    sl_time_format(951782400 * SL_NS_PER_SEC, buf);
    cr_assert_str_eq(buf, "2000-02-29T00:00:00.000000Z");
    sl_time_format(4102444799 * SL_NS_PER_SEC + 999999999, buf);
    cr_assert_str_eq(buf, "2099-12-31T23:59:59.999999Z");
}

Test(event_mask, parse_lists)
{
    sl_event_mask m;
    const char *bad;
    size_t bad_len;
    cr_assert(sl_event_mask_parse("sip,dialog", &m, &bad, &bad_len));
    cr_assert_eq(m, (1u << SL_EV_SIP) | (1u << SL_EV_DIALOG));
    cr_assert(sl_event_mask_parse("all,-sip", &m, &bad, &bad_len));
    cr_assert_eq(m, SL_EV_DEFAULT);
    cr_assert(sl_event_mask_parse("default", &m, &bad, &bad_len));
    cr_assert_eq(m & (1u << SL_EV_SIP), 0);
    cr_assert_not(sl_event_mask_parse("sip,bogus", &m, &bad, &bad_len));
    cr_assert_eq(bad_len, 5);
    cr_assert(strncmp(bad, "bogus", 5) == 0);
    cr_assert_not(sl_event_mask_parse("", &m, &bad, &bad_len));
}
