#include <criterion/criterion.h>

#include "sipsleuth/community_id.h"

static sl_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    sl_addr x = {.family = 4, .bytes = {a, b, c, d}};
    return x;
}

static sl_addr v6_doc(uint8_t last) /* 2001:db8::<last> */
{
    sl_addr x = {.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8}};
    x.bytes[15] = last;
    return x;
}

/* Expected values other than the spec's own example were computed once with
 * Python's hashlib/base64 over the byte layout in the spec's pseudo code
 * (seed . saddr . daddr . proto . 0 . sport . dport, endpoints ordered). */

Test(community_id, spec_vector_both_directions)
{
    sl_addr a = v4(128, 232, 110, 120), b = v4(66, 35, 250, 204);
    char out[SL_COMMUNITY_ID_LEN];
    cr_assert(sl_community_id(&a, &b, 6, 34855, 80, 0, out));
    cr_assert_str_eq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    cr_assert(sl_community_id(&b, &a, 6, 80, 34855, 0, out));
    cr_assert_str_eq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

Test(community_id, udp_ipv4)
{
    sl_addr a = v4(192, 0, 2, 10), b = v4(198, 51, 100, 7);
    char out[SL_COMMUNITY_ID_LEN];
    cr_assert(sl_community_id(&a, &b, 17, 5060, 5060, 0, out));
    cr_assert_str_eq(out, "1:r21+uk8qlweaa/NuxTLnMDkXOYU=");
    cr_assert(sl_community_id(&b, &a, 17, 5060, 5060, 0, out));
    cr_assert_str_eq(out, "1:r21+uk8qlweaa/NuxTLnMDkXOYU=");
}

Test(community_id, seed_in_network_order)
{
    sl_addr a = v4(192, 0, 2, 10), b = v4(198, 51, 100, 7);
    char out[SL_COMMUNITY_ID_LEN];
    cr_assert(sl_community_id(&a, &b, 17, 5060, 5060, 1, out));
    cr_assert_str_eq(out, "1:YgUkQV/4p0AVC0RRGBOCV/9+wVI=");
}

Test(community_id, udp_ipv6_both_directions)
{
    sl_addr a = v6_doc(1), b = v6_doc(2);
    char out[SL_COMMUNITY_ID_LEN];
    cr_assert(sl_community_id(&a, &b, 17, 5060, 5062, 0, out));
    cr_assert_str_eq(out, "1:x6g+fpcAYnNzVVCIboDBxHXuH/E=");
    cr_assert(sl_community_id(&b, &a, 17, 5062, 5060, 0, out));
    cr_assert_str_eq(out, "1:x6g+fpcAYnNzVVCIboDBxHXuH/E=");
}

Test(community_id, equal_addresses_ordered_by_port)
{
    sl_addr a = v4(10, 0, 0, 1);
    char x[SL_COMMUNITY_ID_LEN], y[SL_COMMUNITY_ID_LEN];
    cr_assert(sl_community_id(&a, &a, 17, 5070, 5060, 0, x));
    cr_assert_str_eq(x, "1:PDCsFc9kuEEZmVvTTwq/gKnv1hQ=");
    cr_assert(sl_community_id(&a, &a, 17, 5060, 5070, 0, y));
    cr_assert_str_eq(x, y);
}

Test(community_id, rejects_unset_or_mixed_families)
{
    sl_addr a = v4(10, 0, 0, 1), b = v6_doc(1), none = {0};
    char out[SL_COMMUNITY_ID_LEN];
    cr_assert_not(sl_community_id(&a, &b, 17, 1, 2, 0, out));
    cr_assert_not(sl_community_id(&none, &none, 17, 1, 2, 0, out));
}
