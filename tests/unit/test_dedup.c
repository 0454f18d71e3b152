#include <criterion/criterion.h>

#include "sipsleuth/dedup.h"

static const sl_time MS = SL_NS_PER_MS;

static sl_packet udp_packet(const uint8_t *ip_payload, size_t len)
{
    sl_packet p;
    memset(&p, 0, sizeof p);
    p.src.family = p.dst.family = 4;
    p.src.bytes[0] = 192;
    p.dst.bytes[0] = 198;
    p.ip_proto = SL_IPPROTO_UDP;
    p.sport = p.dport = 5060;
    p.ip_payload = sl_slice_make(ip_payload, len);
    p.payload = sl_slice_make(ip_payload + 8, len - 8);
    return p;
}

Test(dedup, decoded_packets_within_the_window)
{
    sl_dedup *d = sl_dedup_new(NULL);
    uint8_t a[40], b[40];
    memset(a, 'a', sizeof a);
    memcpy(b, a, sizeof b);
    sl_packet pa = udp_packet(a, sizeof a), pb = udp_packet(b, sizeof b);
    cr_assert_not(sl_dedup_packet(d, &pa, 1000 * MS));
    cr_assert(sl_dedup_packet(d, &pb, 1000 * MS + 1)); /* the span copy */
    cr_assert(sl_dedup_packet(d, &pb, 1050 * MS));     /* window inclusive */
    b[39] = 'b';
    cr_assert_not(sl_dedup_packet(d, &pb, 1000 * MS)); /* other content */
    sl_packet pc = udp_packet(a, sizeof a);
    pc.dst.bytes[3] = 9;
    cr_assert_not(sl_dedup_packet(d, &pc, 1000 * MS)); /* other address */
    cr_assert_not(sl_dedup_packet(d, &pa, 1051 * MS)); /* too late: a new original */
    cr_assert(sl_dedup_packet(d, &pa, 1040 * MS));     /* an earlier-stamped copy */
    sl_dedup_stats st;
    sl_dedup_get_stats(d, &st);
    cr_assert_eq(st.checked, 7);
    cr_assert_eq(st.duplicates, 3);
    sl_dedup_free(d);
}

Test(dedup, raw_ip_ignores_ttl_and_checksum)
{
    sl_dedup *d = sl_dedup_new(NULL);
    uint8_t v4[48] = {0x45, 0,    0,  48, 0x12, 0x34, 0x40, 0, 64, 17,
                      0xAB, 0xCD, 10, 0,  0,    1,    10,   0, 0,  2};
    memset(v4 + 20, 'x', 28);
    cr_assert_not(sl_dedup_l3(d, v4, sizeof v4, 0));
    v4[8] = 63; /* one router hop later */
    v4[10] = 0xAC;
    cr_assert(sl_dedup_l3(d, v4, sizeof v4, 1 * MS));
    v4[5] = 0x35; /* another IP id: another packet */
    cr_assert_not(sl_dedup_l3(d, v4, sizeof v4, 2 * MS));

    uint8_t v6[60] = {0x60, 0, 0, 0, 0, 20, 17, 64};
    memset(v6 + 8, 'y', 52);
    cr_assert_not(sl_dedup_l3(d, v6, sizeof v6, 0));
    v6[7] = 1;
    cr_assert(sl_dedup_l3(d, v6, sizeof v6, 0));
    cr_assert_not(sl_dedup_l3(d, v6, 59, 0));
    /* short or unknown input is hashed whole */
    cr_assert_not(sl_dedup_l3(d, v6, 3, 0));
    cr_assert(sl_dedup_l3(d, v6, 3, 0));
    sl_dedup_free(d);
}

Test(dedup, crowded_table_stays_fixed)
{
    sl_dedup_config cfg;
    sl_dedup_config_default(&cfg);
    cfg.entries = 16;
    sl_dedup *d = sl_dedup_new(&cfg);
    size_t mem = sl_dedup_memory(d);
    for (uint32_t i = 0; i < 10000; i++) {
        uint8_t b[12] = {0};
        memcpy(b, &i, 4);
        sl_packet p = udp_packet(b, sizeof b);
        cr_assert_not(sl_dedup_packet(d, &p, i));
    }
    cr_assert_eq(sl_dedup_memory(d), mem);
    sl_dedup_stats st;
    sl_dedup_get_stats(d, &st);
    cr_assert_gt(st.overwrites, 9000);
    /* the latest packet is still found */
    uint8_t b[12] = {0};
    uint32_t last = 9999;
    memcpy(b, &last, 4);
    sl_packet p = udp_packet(b, sizeof b);
    cr_assert(sl_dedup_packet(d, &p, 10000));
    sl_dedup_free(d);
}
