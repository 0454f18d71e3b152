/* Frame decoder tests. Frames are built by hand, innermost layer first, by
 * prepending headers; every frame is also decoded at every truncated length
 * from a guarded buffer (see decode_all). */
#include <criterion/criterion.h>

#include "guarded.h"
#include "sipsleuth/decode.h"
#include "sipsleuth/layers.h"

enum {
    DLT_NULL_ = 0,
    DLT_EN10MB_ = 1,
    DLT_PPP_ = 9,
    DLT_PPP_SERIAL_ = 50,
    DLT_C_HDLC_ = 104,
    DLT_RAW_ = 12,
    DLT_RAW_OPENBSD_ = 14,
    LINKTYPE_RAW_ = 101,
    DLT_LOOP_ = 108,
    DLT_SLL_ = 113,
    DLT_IPV4_ = 228,
    DLT_IPV6_ = 229,
    DLT_SLL2_ = 276,
};

/* ---- frame builder ---------------------------------------------------- */

typedef struct fb {
    uint8_t buf[4096];
    size_t start;
} fb;

static void fb_init(fb *f)
{
    f->start = sizeof f->buf;
}
static size_t fb_len(const fb *f)
{
    return sizeof f->buf - f->start;
}
static const uint8_t *fb_data(const fb *f)
{
    return f->buf + f->start;
}

static uint8_t *fb_push(fb *f, size_t n)
{
    cr_assert(n <= f->start, "frame builder overflow");
    f->start -= n;
    memset(f->buf + f->start, 0, n);
    return f->buf + f->start;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void fb_bytes(fb *f, const void *p, size_t n)
{
    memcpy(fb_push(f, n), p, n);
}
static void fb_str(fb *f, const char *s)
{
    fb_bytes(f, s, strlen(s));
}
#define FB_LIT(f, lit) fb_bytes((f), (lit), sizeof(lit) - 1) /* may hold NULs */

/* Appends n zero bytes after what is there (Ethernet padding). */
static void fb_pad(fb *f, size_t n)
{
    size_t len = fb_len(f);
    uint8_t *p = fb_push(f, n);
    memmove(p, p + n, len);
    memset(p + len, 0, n);
}

static void fb_udp(fb *f, uint16_t sport, uint16_t dport)
{
    size_t len = fb_len(f) + 8;
    uint8_t *p = fb_push(f, 8);
    put16(p, sport);
    put16(p + 2, dport);
    put16(p + 4, (uint16_t)len);
}

static void fb_tcp(fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                   size_t optlen)
{
    uint8_t *p = fb_push(f, 20 + optlen);
    put16(p, sport);
    put16(p + 2, dport);
    put32(p + 4, seq);
    put32(p + 8, ack);
    p[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    p[13] = flags;
    put16(p + 14, 65535);
    memset(p + 20, 1, optlen); /* NOPs */
}

static void fb_ipv4_full(fb *f, uint8_t proto, uint32_t src, uint32_t dst, uint16_t id,
                         uint16_t frag, size_t optlen)
{
    size_t hlen = 20 + optlen;
    size_t len = fb_len(f) + hlen;
    uint8_t *p = fb_push(f, hlen);
    p[0] = (uint8_t)(0x40 | (hlen / 4));
    put16(p + 2, (uint16_t)len);
    put16(p + 4, id);
    put16(p + 6, frag);
    p[8] = 64;
    p[9] = proto;
    put32(p + 12, src);
    put32(p + 16, dst);
    memset(p + 20, 1, optlen); /* NOP options */
}

static void fb_ipv4(fb *f, uint8_t proto, uint32_t src, uint32_t dst)
{
    fb_ipv4_full(f, proto, src, dst, 0x1234, 0x4000 /* DF */, 0);
}

static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b};
static const uint8_t V6C[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c};

static void fb_ipv6(fb *f, uint8_t next, const uint8_t src[16], const uint8_t dst[16])
{
    size_t plen = fb_len(f);
    uint8_t *p = fb_push(f, 40);
    p[0] = 0x60;
    put16(p + 4, (uint16_t)plen);
    p[6] = next;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
}

/* A generic extension header (hop-by-hop, routing, destination options) of
 * (len8 + 1) * 8 bytes. */
static void fb_ipv6_ext(fb *f, uint8_t next, uint8_t len8)
{
    uint8_t *p = fb_push(f, ((size_t)len8 + 1) * 8);
    p[0] = next;
    p[1] = len8;
}

static void fb_ipv6_frag(fb *f, uint8_t next, uint16_t offset, bool more, uint32_t id)
{
    uint8_t *p = fb_push(f, 8);
    p[0] = next;
    put16(p + 2, (uint16_t)(offset | (more ? 1 : 0)));
    put32(p + 4, id);
}

static void fb_eth(fb *f, uint16_t type)
{
    uint8_t *p = fb_push(f, 14);
    memset(p, 0x02, 6);
    memset(p + 6, 0x04, 6);
    put16(p + 12, type);
}

/* One tag: TCI then the type of what follows; the caller puts the TPID in
 * the header before it. */
static void fb_vlan(fb *f, uint16_t id, uint16_t inner_type)
{
    uint8_t *p = fb_push(f, 4);
    put16(p, (uint16_t)(0x2000 | id)); /* priority 1 */
    put16(p + 2, inner_type);
}

static void fb_mpls(fb *f, uint32_t label, bool bos)
{
    put32(fb_push(f, 4), label << 12 | (bos ? 0x100 : 0) | 64);
}

static void fb_gre(fb *f, uint16_t flags, uint16_t proto, uint32_t key, uint32_t seq)
{
    size_t n =
        4 + ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) + ((flags & 0x1000) ? 4 : 0);
    uint8_t *p = fb_push(f, n);
    put16(p, flags);
    put16(p + 2, proto);
    size_t o = 4;
    if (flags & 0x8000) {
        put16(p + o, 0xbeef);
        o += 4;
    }
    if (flags & 0x2000) {
        put32(p + o, key);
        o += 4;
    }
    if (flags & 0x1000)
        put32(p + o, seq);
}

static void fb_erspan2(fb *f, uint16_t session)
{
    uint8_t *p = fb_push(f, 8);
    put16(p, 0x1000 | 7); /* version 1, VLAN 7 */
    put16(p + 2, session & 0x3ff);
    put32(p + 4, 42); /* index */
}

static void fb_erspan3(fb *f, uint16_t session, uint8_t ft, bool platform)
{
    if (platform)
        memset(fb_push(f, 8), 0xee, 8);
    uint8_t *p = fb_push(f, 12);
    put16(p, 0x2000 | 7); /* version 2, VLAN 7 */
    put16(p + 2, session & 0x3ff);
    put32(p + 4, 0xdeadbeef); /* timestamp */
    put16(p + 8, 0x1111);     /* SGT */
    put16(p + 10, (uint16_t)((ft & 0x1f) << 10 | (platform ? 1 : 0)));
}

static void fb_vxlan(fb *f, uint32_t vni)
{
    uint8_t *p = fb_push(f, 8);
    p[0] = 0x08;
    put32(p + 4, vni << 8);
}

static void fb_sll(fb *f, uint16_t hatype, uint16_t proto)
{
    uint8_t *p = fb_push(f, 16);
    put16(p, 0); /* to us */
    put16(p + 2, hatype);
    put16(p + 4, 6);
    memset(p + 6, 0x02, 6);
    put16(p + 14, proto);
}

static void fb_sll2(fb *f, uint16_t hatype, uint16_t proto)
{
    uint8_t *p = fb_push(f, 20);
    put16(p, proto);
    put32(p + 4, 3); /* ifindex */
    put16(p + 8, hatype);
    p[10] = 0;
    p[11] = 6;
    memset(p + 12, 0x02, 6);
}

static void fb_null(fb *f, uint32_t af, bool big_endian)
{
    uint8_t *p = fb_push(f, 4);
    if (big_endian) {
        put32(p, af);
    } else {
        p[0] = (uint8_t)af;
        p[1] = (uint8_t)(af >> 8);
    }
}

/* A SIP-ish payload in UDP in IPv4 192.0.2.1:5060 → 192.0.2.2:5060. */
static const char SIP[] = "OPTIONS sip:a@b SIP/2.0\r\n\r\n";
static const uint32_t A1 = 0xc0000201, A2 = 0xc0000202; /* 192.0.2.1, .2 */

static void fb_sip_udp4(fb *f)
{
    fb_init(f);
    fb_str(f, SIP);
    fb_udp(f, 5060, 5060);
    fb_ipv4(f, SL_IPPROTO_UDP, A1, A2);
}

/* ---- decoding through guarded buffers --------------------------------- */

static sl_guarded g_frame;

static void free_frame(void)
{
    if (g_frame.map)
        sl_guard_free(&g_frame);
}

TestSuite(decode, .fini = free_frame);

/* VXLAN and GTP-U fall back to plain UDP when their header is cut. */
static bool had_vxlan(const sl_packet *p)
{
    for (unsigned i = 0; i < p->n_tunnels; i++)
        if (p->tunnels[i].kind == SL_TUNNEL_VXLAN || p->tunnels[i].kind == SL_TUNNEL_GTPU)
            return true;
    return false;
}

static bool within(sl_slice s, const uint8_t *base, size_t n)
{
    return s.len == 0 || (s.ptr >= base && s.ptr + s.len <= base + n);
}

/* Decodes every proper prefix of a frame whose last `pad` bytes are padding,
 * then the whole frame, and returns the result of the whole one. Prefixes
 * must decode to the same result or to a "_truncated" error, report the
 * truncation when the payload comes out short, and stay in bounds (the
 * guard page catches any over-read). */
static sl_decode_result decode_all(int dlt, const fb *f, size_t pad, sl_packet *pkt, sl_anomaly *an)
{
    size_t len = fb_len(f);
    free_frame();
    const uint8_t *full = sl_guard(&g_frame, fb_data(f), len);
    sl_decode_result want = sl_decode_frame(dlt, full, len, pkt, an);
    if (want == SL_DECODE_ERROR)
        cr_assert(an->kind, "error without anomaly");
    size_t want_payload = pkt->payload.len, want_ip = pkt->ip_payload.len;
    bool vxlan = had_vxlan(pkt);

    sl_guarded g; /* each prefix is copied so that it ends at the guard page */
    sl_guard(&g, fb_data(f), len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *p = g.data + (len - n);
        memcpy(p, fb_data(f), n);
        sl_packet q;
        sl_anomaly a;
        sl_decode_result r = sl_decode_frame(dlt, p, n, &q, &a);
        if (r == SL_DECODE_ERROR) {
            cr_assert(a.kind, "prefix %zu: error without anomaly", n);
            cr_assert(strstr(sl_anomaly_name(a.kind), "_truncated") || want == SL_DECODE_ERROR,
                      "prefix %zu of %zu: %s", n, len, sl_anomaly_name(a.kind));
        } else {
            /* a finding on success only where the whole frame has it too */
            cr_assert(!a.kind || a.kind == an->kind, "prefix %zu: %s without error", n,
                      sl_anomaly_name(a.kind));
            cr_assert(r == want || (vxlan && r == SL_DECODE_UDP), "prefix %zu: result %d, not %d",
                      n, r, want);
            cr_assert(within(q.payload, p, n) && within(q.ip_payload, p, n), "prefix %zu", n);
            if (vxlan && !had_vxlan(&q)) { /* fell back to the outer UDP datagram */
                cr_assert(q.truncated, "prefix %zu", n);
                continue;
            }
            cr_assert_leq(q.ip_payload.len, want_ip);
            if (r == want && r != SL_DECODE_SKIP && q.ip_payload.len < want_ip)
                cr_assert(q.truncated, "prefix %zu: short IP payload not flagged", n);
            if (r == want && (r == SL_DECODE_UDP || r == SL_DECODE_TCP || r == SL_DECODE_SCTP)) {
                cr_assert_leq(q.payload.len, want_payload);
                if (q.payload.len < want_payload)
                    cr_assert(q.truncated, "prefix %zu: short payload not flagged", n);
            }
            /* the TCP payload bytes the prefix lost are counted as cut */
            if (r == want && r == SL_DECODE_TCP)
                cr_assert_eq(q.payload.len + q.tcp.cut, want_payload + pkt->tcp.cut,
                             "prefix %zu: %zu captured + %u cut", n, q.payload.len, q.tcp.cut);
            if (n < len - pad && r == want && r != SL_DECODE_SKIP)
                cr_assert(q.truncated, "prefix %zu of %zu (pad %zu) not flagged", n, len, pad);
        }
    }
    sl_guard_free(&g);
    return want;
}

static sl_decode_result decode(int dlt, const fb *f, sl_packet *pkt, sl_anomaly *an)
{
    return decode_all(dlt, f, 0, pkt, an);
}

static void assert_payload(const sl_packet *p, const char *s)
{
    cr_assert_eq(p->payload.len, strlen(s));
    cr_assert(memcmp(p->payload.ptr, s, strlen(s)) == 0);
}

static void assert_v4(const sl_addr *a, uint32_t v)
{
    cr_assert_eq(a->family, 4);
    uint8_t want[16] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    cr_assert(memcmp(a->bytes, want, 16) == 0, "address differs (stale bytes?)");
}

static void assert_v6(const sl_addr *a, const uint8_t v[16])
{
    cr_assert_eq(a->family, 6);
    cr_assert(memcmp(a->bytes, v, 16) == 0);
}

static void assert_anomaly(int dlt, const fb *f, const char *kind)
{
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(dlt, f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), kind);
    cr_assert_not_null(sl_anomaly_layer(a.kind));
}

/* ---- link layers ------------------------------------------------------ */

Test(decode, ethernet_ipv4_udp)
{
    fb f;
    fb_sip_udp4(&f);
    fb_eth(&f, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    assert_v4(&p.src, A1);
    assert_v4(&p.dst, A2);
    cr_assert_eq(p.ip_proto, SL_IPPROTO_UDP);
    cr_assert_eq(p.sport, 5060);
    cr_assert_eq(p.dport, 5060);
    assert_payload(&p, SIP);
    cr_assert_eq(p.ip_payload.len, 8 + strlen(SIP));
    cr_assert_not(p.truncated);
    cr_assert_not(p.frag.is_fragment);
    cr_assert_eq(p.n_vlan + p.n_mpls + p.n_tunnels, 0);
}

Test(decode, ethernet_padding_trimmed)
{
    fb f;
    fb_init(&f);
    fb_str(&f, "x");
    fb_udp(&f, 1000, 5060);
    fb_ipv4(&f, SL_IPPROTO_UDP, A1, A2);
    fb_eth(&f, SL_ETH_IPV4);
    fb_pad(&f, 60 - fb_len(&f));
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_all(DLT_EN10MB_, &f, 60 - 43, &p, &a), SL_DECODE_UDP);
    assert_payload(&p, "x");
    cr_assert_eq(p.ip_payload.len, 9);
    cr_assert_not(p.truncated);
}

Test(decode, ipv6_padding_trimmed)
{
    fb f;
    fb_init(&f);
    fb_udp(&f, 1000, 5060);
    fb_ipv6(&f, SL_IPPROTO_UDP, V6A, V6B);
    fb_eth(&f, SL_ETH_IPV6);
    fb_pad(&f, 4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_all(DLT_EN10MB_, &f, 4, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.payload.len, 0);
    cr_assert_eq(p.ip_payload.len, 8);
}

Test(decode, snaplen_truncation_is_flagged_not_an_error)
{
    fb f;
    fb_sip_udp4(&f);
    fb_eth(&f, SL_ETH_IPV4);
    sl_guarded g;
    size_t n = 14 + 20 + 8 + 5;
    const uint8_t *d = sl_guard(&g, fb_data(&f), n);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(sl_decode_frame(DLT_EN10MB_, d, n, &p, &a), SL_DECODE_UDP);
    cr_assert(p.truncated);
    cr_assert_eq(p.payload.len, 5);
    cr_assert(memcmp(p.payload.ptr, SIP, 5) == 0);
    cr_assert_eq(a.kind, SL_ANOM_NONE);
    sl_guard_free(&g);
}

Test(decode, cut_headers_are_truncated_errors)
{
    fb f;
    fb_sip_udp4(&f);
    fb_eth(&f, SL_ETH_IPV4);
    static const struct {
        size_t n;
        const char *kind;
    } cases[] = {{0, "eth_truncated"},   {13, "eth_truncated"}, {14, "ipv4_truncated"},
                 {33, "ipv4_truncated"}, {34, "udp_truncated"}, {41, "udp_truncated"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_guarded g;
        const uint8_t *d = sl_guard(&g, fb_data(&f), cases[i].n);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(sl_decode_frame(DLT_EN10MB_, d, cases[i].n, &p, &a), SL_DECODE_ERROR);
        cr_assert_str_eq(sl_anomaly_name(a.kind), cases[i].kind, "at %zu", cases[i].n);
        sl_guard_free(&g);
    }
}

Test(decode, vlan_single)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 100, SL_ETH_IPV4);
    fb_eth(&f, SL_ETH_VLAN);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_vlan, 1);
    cr_assert_eq(p.vlan[0], 100);
    assert_payload(&p, SIP);
}

Test(decode, vlan_qinq)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 200, SL_ETH_IPV4);
    fb_vlan(&f, 10, SL_ETH_VLAN);
    fb_eth(&f, SL_ETH_QINQ);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_vlan, 2);
    cr_assert_eq(p.vlan[0], 10);
    cr_assert_eq(p.vlan[1], 200);
}

Test(decode, vlan_three_tags)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 3, SL_ETH_IPV4);
    fb_vlan(&f, 2, SL_ETH_VLAN);
    fb_vlan(&f, 1, SL_ETH_QINQ);
    fb_eth(&f, SL_ETH_QINQ_OLD);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_vlan, 3);
    cr_assert_eq(p.vlan[0], 1);
    cr_assert_eq(p.vlan[1], 2);
    cr_assert_eq(p.vlan[2], 3);
    assert_payload(&p, SIP);
}

Test(decode, vlan_deeper_than_recorded_still_decoded)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 4095, SL_ETH_IPV4);
    for (uint16_t i = 11; i >= 1; i--)
        fb_vlan(&f, i, SL_ETH_VLAN);
    fb_eth(&f, SL_ETH_VLAN);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_vlan, SL_MAX_VLAN);
    for (unsigned i = 0; i < SL_MAX_VLAN; i++)
        cr_assert_eq(p.vlan[i], i + 1);
    assert_payload(&p, SIP);
}

Test(decode, mpls_stack_then_ipv4)
{
    fb f;
    fb_sip_udp4(&f);
    fb_mpls(&f, 16, true);
    fb_mpls(&f, 1048575, false);
    fb_mpls(&f, 3000, false);
    fb_eth(&f, SL_ETH_MPLS);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_mpls, 3);
    cr_assert_eq(p.mpls[0], 3000);
    cr_assert_eq(p.mpls[1], 1048575);
    cr_assert_eq(p.mpls[2], 16);
    assert_payload(&p, SIP);
}

Test(decode, vlan_then_mpls_then_ipv6)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5062, 5060);
    fb_ipv6(&f, SL_IPPROTO_UDP, V6A, V6B);
    fb_mpls(&f, 2, true); /* IPv6 explicit null */
    fb_vlan(&f, 42, SL_ETH_MPLS_MC);
    fb_eth(&f, SL_ETH_VLAN);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_vlan, 1);
    cr_assert_eq(p.vlan[0], 42);
    cr_assert_eq(p.n_mpls, 1);
    cr_assert_eq(p.mpls[0], 2);
    assert_v6(&p.src, V6A);
    assert_v6(&p.dst, V6B);
    cr_assert_eq(p.sport, 5062);
}

Test(decode, mpls_pseudowire_skipped)
{
    fb f;
    fb_init(&f);
    FB_LIT(&f, "\x00\x00\x00\x00"); /* control word, then Ethernet */
    fb_mpls(&f, 100, true);
    fb_eth(&f, SL_ETH_MPLS);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_SKIP);
}

Test(decode, linux_sll)
{
    fb f;
    fb_sip_udp4(&f);
    fb_sll(&f, 1, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_SLL_, &f, &p, &a), SL_DECODE_UDP);
    assert_v4(&p.src, A1);
    assert_payload(&p, SIP);

    fb_init(&f);
    fb_str(&f, "netlink message");
    fb_sll(&f, 824, SL_ETH_IPV4); /* netlink: protocol is not an EtherType */
    cr_assert_eq(decode(DLT_SLL_, &f, &p, &a), SL_DECODE_SKIP);
}

Test(decode, linux_sll2_with_vlan)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 7, SL_ETH_IPV4);
    fb_sll2(&f, 1, SL_ETH_VLAN);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_SLL2_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_vlan, 1);
    cr_assert_eq(p.vlan[0], 7);
    assert_payload(&p, SIP);
}

Test(decode, null_and_loop_both_byte_orders)
{
    static const uint32_t inet6[] = {10, 24, 28, 30};
    sl_packet p;
    sl_anomaly a;
    fb f;
    for (int be = 0; be < 2; be++) {
        fb_sip_udp4(&f);
        fb_null(&f, 2, be);
        cr_assert_eq(decode(DLT_NULL_, &f, &p, &a), SL_DECODE_UDP);
        assert_payload(&p, SIP);
        cr_assert_eq(decode(DLT_LOOP_, &f, &p, &a), SL_DECODE_UDP);
        for (size_t i = 0; i < 4; i++) {
            fb_init(&f);
            fb_str(&f, SIP);
            fb_udp(&f, 5060, 5060);
            fb_ipv6(&f, SL_IPPROTO_UDP, V6A, V6B);
            fb_null(&f, inet6[i], be);
            cr_assert_eq(decode(DLT_NULL_, &f, &p, &a), SL_DECODE_UDP, "af %u", inet6[i]);
            assert_v6(&p.src, V6A);
        }
        fb_sip_udp4(&f);
        fb_null(&f, 7, be); /* AF_OSI or whatever: not IP */
        cr_assert_eq(decode(DLT_NULL_, &f, &p, &a), SL_DECODE_SKIP);
    }
}

Test(decode, raw_ip_link_types)
{
    static const int raw[] = {DLT_RAW_, DLT_RAW_OPENBSD_, LINKTYPE_RAW_};
    sl_packet p;
    sl_anomaly a;
    fb f4, f6;
    fb_sip_udp4(&f4);
    fb_init(&f6);
    fb_str(&f6, SIP);
    fb_udp(&f6, 5060, 5060);
    fb_ipv6(&f6, SL_IPPROTO_UDP, V6A, V6B);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(decode(raw[i], &f4, &p, &a), SL_DECODE_UDP);
        assert_v4(&p.dst, A2);
        cr_assert_eq(decode(raw[i], &f6, &p, &a), SL_DECODE_UDP);
        assert_v6(&p.dst, V6B);
        assert_payload(&p, SIP);
    }
    cr_assert_eq(decode(DLT_IPV4_, &f4, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(decode(DLT_IPV6_, &f6, &p, &a), SL_DECODE_UDP);
    assert_anomaly(DLT_IPV4_, &f6, "ipv4_bad_version");
    assert_anomaly(DLT_IPV6_, &f4, "ipv6_bad_version");

    fb bad;
    fb_init(&bad);
    fb_str(&bad, "\x50 not ip");
    assert_anomaly(DLT_RAW_, &bad, "raw_bad_version");
}

Test(decode, link_types_supported)
{
    static const int yes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_assert(sl_decode_link_supported(yes[i]), "%d", yes[i]);
    cr_assert_not(sl_decode_link_supported(105)); /* 802.11 */
    cr_assert_not(sl_decode_link_supported(127)); /* radiotap */
    cr_assert_not(sl_decode_link_supported(-1));

    fb f;
    fb_sip_udp4(&f);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(sl_decode_frame(105, fb_data(&f), fb_len(&f), &p, &a), SL_DECODE_SKIP);
}

/* ---- IP, UDP, TCP ----------------------------------------------------- */

Test(decode, ipv4_options_skipped)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5070);
    fb_ipv4_full(&f, SL_IPPROTO_UDP, A1, A2, 1, 0, 12);
    fb_eth(&f, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.dport, 5070);
    assert_payload(&p, SIP);
}

Test(decode, ipv6_extension_headers_walked)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5060);
    fb_ipv6_ext(&f, SL_IPPROTO_UDP, 1); /* destination options, 16 bytes */
    fb_ipv6_ext(&f, 60, 0);             /* routing */
    fb_ipv6_ext(&f, 43, 0);             /* hop-by-hop */
    fb_ipv6(&f, 0, V6A, V6B);
    fb_eth(&f, SL_ETH_IPV6);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.ip_proto, SL_IPPROTO_UDP);
    cr_assert_eq(p.ip_payload.len, 8 + strlen(SIP));
    assert_payload(&p, SIP);
}

Test(decode, ipv6_ah_length_in_words)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5060);
    uint8_t *ah = fb_push(&f, 24); /* (4 + 2) * 4 bytes */
    ah[0] = SL_IPPROTO_UDP;
    ah[1] = 4;
    fb_ipv6(&f, 51, V6A, V6B);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV6_, &f, &p, &a), SL_DECODE_UDP);
    assert_payload(&p, SIP);
}

Test(decode, tcp_fields)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_tcp(&f, 40000, 5060, 0xfffffff0u, 0x01020304u, SL_TCP_PSH | SL_TCP_ACK, 12);
    fb_ipv6(&f, SL_IPPROTO_TCP, V6A, V6B);
    fb_eth(&f, SL_ETH_IPV6);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_TCP);
    cr_assert_eq(p.sport, 40000);
    cr_assert_eq(p.dport, 5060);
    cr_assert_eq(p.tcp.seq, 0xfffffff0u);
    cr_assert_eq(p.tcp.ack, 0x01020304u);
    cr_assert_eq(p.tcp.flags, SL_TCP_PSH | SL_TCP_ACK);
    assert_payload(&p, SIP);
}

/* SCTP common header: ports, the chunks as the payload; the checksum is not checked. */
static void fb_sctp(fb *f, uint16_t sport, uint16_t dport)
{
    uint8_t *p = fb_push(f, 12);
    put16(p, sport);
    put16(p + 2, dport);
    put32(p + 4, 0x01020304u);
    put32(p + 8, 0xdeadbeefu);
}

Test(decode, sctp_over_ipv4_and_ipv6)
{
    static const char CHUNKS[] = "\x00\x03\x00\x14\x00\x00\x00\x01\x00\x00\x00\x00"
                                 "\x00\x00\x00\x00SIP!";
    for (int v6 = 0; v6 < 2; v6++) {
        fb f;
        fb_init(&f);
        FB_LIT(&f, CHUNKS);
        fb_sctp(&f, 5060, 5061);
        if (v6)
            fb_ipv6(&f, SL_IPPROTO_SCTP, V6A, V6B);
        else
            fb_ipv4(&f, SL_IPPROTO_SCTP, A1, A2);
        fb_eth(&f, v6 ? SL_ETH_IPV6 : SL_ETH_IPV4);
        fb_pad(&f, v6 ? 0 : 4);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(decode_all(DLT_EN10MB_, &f, v6 ? 0 : 4, &p, &a), SL_DECODE_SCTP);
        cr_assert_eq(p.sport, 5060);
        cr_assert_eq(p.dport, 5061);
        cr_assert_eq(p.ip_proto, SL_IPPROTO_SCTP);
        cr_assert_eq(p.payload.len, sizeof CHUNKS - 1, "IP bounds the chunks, not the padding");
        cr_assert(!p.truncated);
    }
}

Test(decode, sctp_too_short)
{
    fb f;
    fb_init(&f);
    fb_str(&f, "12345678");
    fb_ipv4(&f, SL_IPPROTO_SCTP, A1, A2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "sctp_too_short");
}

Test(decode, tcp_syn_without_payload)
{
    fb f;
    fb_init(&f);
    fb_tcp(&f, 40000, 5060, 7, 0, SL_TCP_SYN, 0);
    fb_ipv4(&f, SL_IPPROTO_TCP, A1, A2);
    fb_eth(&f, SL_ETH_IPV4);
    fb_pad(&f, 6);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_all(DLT_EN10MB_, &f, 6, &p, &a), SL_DECODE_TCP);
    cr_assert_eq(p.tcp.flags, SL_TCP_SYN);
    cr_assert_eq(p.payload.len, 0);
}

Test(decode, udp_length_bounds_payload)
{
    /* IP carries 4 bytes after the datagram: UDP's length wins. */
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5060);
    fb_pad(&f, 4);
    fb_ipv4(&f, SL_IPPROTO_UDP, A1, A2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_all(DLT_IPV4_, &f, 4, &p, &a), SL_DECODE_UDP);
    assert_payload(&p, SIP);
}

Test(decode, other_protocols_skipped)
{
    static const uint8_t protos[] = {1, 50, 58, 103, 89};
    sl_packet p;
    sl_anomaly a;
    fb f;
    for (size_t i = 0; i < sizeof protos; i++) {
        fb_init(&f);
        fb_str(&f, "whatever bytes here");
        fb_ipv4(&f, protos[i], A1, A2);
        fb_eth(&f, SL_ETH_IPV4);
        cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_SKIP, "proto %u", protos[i]);
        cr_assert_eq(p.ip_proto, protos[i]);
    }
    fb_init(&f);
    fb_ipv6(&f, 59, V6A, V6B); /* no next header */
    cr_assert_eq(decode(DLT_IPV6_, &f, &p, &a), SL_DECODE_SKIP);

    fb_init(&f);
    FB_LIT(&f, "\x00\x01\x08\x00\x06\x04\x00\x01 arp body");
    fb_eth(&f, 0x0806);
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_SKIP);

    fb_init(&f);
    fb_str(&f, "\xaa\xaa\x03 802.2 LLC/SNAP frame");
    fb_eth(&f, 26); /* an 802.3 length */
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_SKIP);
}

/* ---- fragments -------------------------------------------------------- */

Test(decode, ipv4_fragments)
{
    static const struct {
        uint16_t field;
        bool more;
        uint32_t offset;
    } cases[] = {{0x2000, true, 0}, {0x2000 | 185, true, 1480}, {185 * 2, false, 2960}};
    for (size_t i = 0; i < 3; i++) {
        fb f;
        fb_init(&f);
        fb_str(&f, SIP);
        fb_udp(&f, 5060, 5060); /* just bytes, for the non-first ones */
        fb_ipv4_full(&f, SL_IPPROTO_UDP, A1, A2, 0xabcd, cases[i].field, 0);
        fb_eth(&f, SL_ETH_IPV4);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_FRAGMENT);
        cr_assert(p.frag.is_fragment);
        cr_assert_eq(p.frag.more, cases[i].more);
        cr_assert_eq(p.frag.id, 0xabcd);
        cr_assert_eq(p.frag.offset, cases[i].offset);
        cr_assert_eq(p.ip_proto, SL_IPPROTO_UDP);
        cr_assert_eq(p.ip_payload.len, 8 + strlen(SIP));
        cr_assert_eq(p.sport, 0, "a fragment must not reach UDP");
        cr_assert_eq(p.payload.len, 0);
    }
}

Test(decode, ipv6_fragments)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5060);
    fb_ipv6_frag(&f, SL_IPPROTO_UDP, 0, true, 0x01020304);
    fb_ipv6_ext(&f, 44, 0); /* hop-by-hop before the fragment header */
    fb_ipv6(&f, 0, V6A, V6B);
    fb_eth(&f, SL_ETH_IPV6);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_FRAGMENT);
    cr_assert(p.frag.is_fragment);
    cr_assert(p.frag.more);
    cr_assert_eq(p.frag.id, 0x01020304);
    cr_assert_eq(p.frag.offset, 0);
    cr_assert_eq(p.ip_proto, SL_IPPROTO_UDP);
    cr_assert_eq(p.ip_payload.len, 8 + strlen(SIP));
    cr_assert_eq(p.sport, 0);

    fb_init(&f);
    fb_str(&f, "tail of the datagram");
    fb_ipv6_frag(&f, SL_IPPROTO_UDP, 1232, false, 9);
    fb_ipv6(&f, 44, V6A, V6B);
    cr_assert_eq(decode(DLT_IPV6_, &f, &p, &a), SL_DECODE_FRAGMENT);
    cr_assert_not(p.frag.more);
    cr_assert_eq(p.frag.offset, 1232);
    cr_assert_eq(p.frag.id, 9);
}

Test(decode, ipv6_atomic_fragment_is_whole)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5060);
    fb_ipv6_frag(&f, SL_IPPROTO_UDP, 0, false, 77);
    fb_ipv6(&f, 44, V6A, V6B);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV6_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_not(p.frag.is_fragment);
    assert_payload(&p, SIP);
}

Test(decode, reassembled_payload_decoded)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5080);
    fb_ipv4_full(&f, SL_IPPROTO_UDP, A1, A2, 5, 0x2000, 0);
    fb_vlan(&f, 9, SL_ETH_IPV4);
    fb_eth(&f, SL_ETH_VLAN);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_FRAGMENT);
    /* as defrag would hand back the whole datagram */
    cr_assert_eq(sl_decode_ip_payload(p.ip_proto, p.ip_payload, false, &p, &a), SL_DECODE_UDP);
    cr_assert_not(p.frag.is_fragment);
    cr_assert_eq(p.dport, 5080);
    cr_assert_eq(p.vlan[0], 9);
    assert_v4(&p.src, A1);
    assert_payload(&p, SIP);

    /* an incomplete one: the UDP length may exceed what is there */
    sl_slice part = sl_slice_make(p.ip_payload.ptr, 8 + 4);
    cr_assert_eq(sl_decode_ip_payload(SL_IPPROTO_UDP, part, true, &p, &a), SL_DECODE_UDP);
    cr_assert(p.truncated);
    cr_assert_eq(p.payload.len, 4);

    /* a rebuilt IPv6 datagram may start with extension headers */
    fb_init(&f);
    fb_str(&f, SIP);
    fb_tcp(&f, 1, 2, 3, 4, SL_TCP_ACK, 0);
    fb_ipv6_ext(&f, SL_IPPROTO_TCP, 0);
    fb_ipv6_frag(&f, 60, 0, true, 1);
    fb_ipv6(&f, 44, V6A, V6B);
    cr_assert_eq(decode(DLT_IPV6_, &f, &p, &a), SL_DECODE_FRAGMENT);
    cr_assert_eq(p.ip_proto, 60);
    cr_assert_eq(sl_decode_ip_payload(p.ip_proto, p.ip_payload, false, &p, &a), SL_DECODE_TCP);
    assert_payload(&p, SIP);
}

/* ---- tunnels ---------------------------------------------------------- */

static const uint32_t O1 = 0x0a000001, O2 = 0x0a000002; /* 10.0.0.1, .2: outer */

static void assert_tunnel(const sl_packet *p, unsigned i, sl_tunnel_kind kind, uint32_t id,
                          uint32_t src, uint32_t dst)
{
    cr_assert_gt(p->n_tunnels, i);
    cr_assert_eq(p->tunnels[i].kind, kind);
    cr_assert_eq(p->tunnels[i].id, id);
    assert_v4(&p->tunnels[i].outer_src, src);
    assert_v4(&p->tunnels[i].outer_dst, dst);
}

Test(decode, gre_with_checksum_key_sequence)
{
    fb f;
    fb_sip_udp4(&f);
    fb_gre(&f, 0x8000 | 0x2000 | 0x1000, SL_ETH_IPV4, 0xcafe, 99);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    fb_eth(&f, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, 1);
    assert_tunnel(&p, 0, SL_TUNNEL_GRE, 0xcafe, O1, O2);
    assert_v4(&p.src, A1);
    assert_v4(&p.dst, A2);
    assert_payload(&p, SIP);
}

Test(decode, gre_over_ipv6_carrying_ipv6)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_udp(&f, 5060, 5060);
    fb_ipv6(&f, SL_IPPROTO_UDP, V6A, V6B);
    fb_gre(&f, 0, SL_ETH_IPV6, 0, 0);
    fb_ipv6(&f, SL_IPPROTO_GRE, V6C, V6A);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV6_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, 1);
    cr_assert_eq(p.tunnels[0].kind, SL_TUNNEL_GRE);
    cr_assert_eq(p.tunnels[0].id, 0);
    assert_v6(&p.tunnels[0].outer_src, V6C);
    assert_v6(&p.src, V6A);
    assert_v6(&p.dst, V6B);
}

Test(decode, gre_transparent_ethernet_and_mpls)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 33, SL_ETH_IPV4);
    fb_eth(&f, SL_ETH_VLAN);
    fb_gre(&f, 0x2000, SL_ETH_TEB, 5, 0);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    fb_eth(&f, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_GRE, 5, O1, O2);
    cr_assert_eq(p.n_vlan, 1);
    cr_assert_eq(p.vlan[0], 33);
    assert_payload(&p, SIP);

    fb_sip_udp4(&f);
    fb_mpls(&f, 777, true);
    fb_gre(&f, 0, SL_ETH_MPLS, 0, 0);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_mpls, 1);
    cr_assert_eq(p.mpls[0], 777);
    assert_tunnel(&p, 0, SL_TUNNEL_GRE, 0, O1, O2);
}

/* PPP and Cisco HDLC links, and PPPoE inside Ethernet (ISP access links). */
Test(decode, ppp_hdlc_and_pppoe)
{
    static const uint8_t ppp[] = {0xff, 0x03, 0x00, 0x21}, chdlc[] = {0x0f, 0x00, 0x08, 0x00};
    const struct {
        int dlt;
        const uint8_t *hdr;
    } links[] = {{DLT_PPP_, ppp}, {DLT_PPP_SERIAL_, ppp}, {DLT_C_HDLC_, chdlc}};
    for (size_t i = 0; i < 3; i++) {
        fb f;
        fb_sip_udp4(&f);
        fb_bytes(&f, links[i].hdr, 4);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(decode(links[i].dlt, &f, &p, &a), SL_DECODE_UDP, "DLT %d", links[i].dlt);
        assert_v4(&p.src, A1);
        assert_payload(&p, SIP);
    }

    fb f;
    fb_sip_udp4(&f);
    size_t ip_len = fb_len(&f);
    uint8_t *h = fb_push(&f, 8); /* PPPoE session header + PPP protocol 0x0021 */
    h[0] = 0x11;
    h[1] = 0x00;
    put16(h + 2, 0x1234);
    put16(h + 4, (uint16_t)(2 + ip_len));
    put16(h + 6, 0x0021);
    fb_vlan(&f, 7, SL_ETH_PPPOE);
    fb_eth(&f, SL_ETH_VLAN);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.vlan[0], 7);
    assert_payload(&p, SIP);

    /* PPPoE discovery (code 0x09, PADI) carries no IP */
    fb_init(&f);
    uint8_t *d = fb_push(&f, 6);
    memcpy(d, "\x11\x09\x00\x00\x00\x00", 6);
    fb_eth(&f, SL_ETH_PPPOE);
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_SKIP);
}

/* PPTP: enhanced GRE (version 1, key = length + call id, sequence and
 * acknowledgment numbers) carrying PPP, with and without compressed fields. */
Test(decode, gre_v1_ppp)
{
    static const uint8_t ppp_full[] = {0xff, 0x03, 0x00, 0x21}, ppp_compressed[] = {0x21};
    const struct {
        const uint8_t *ppp;
        size_t len;
    } cases[] = {{ppp_full, sizeof ppp_full}, {ppp_compressed, sizeof ppp_compressed}};
    for (size_t i = 0; i < 2; i++) {
        fb f;
        fb_sip_udp4(&f);
        fb_bytes(&f, cases[i].ppp, cases[i].len);
        uint8_t *ack = fb_push(&f, 4); /* acknowledgment number follows the sequence */
        put32(ack, 7);
        fb_gre(&f, 0x3081, SL_ETH_PPP, (100u << 16) | 0x1234, 9);
        fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP, "case %zu", i);
        assert_tunnel(&p, 0, SL_TUNNEL_GRE, 0x1234, O1, O2);
        cr_assert_eq(p.dport, 5060);
    }
}

Test(decode, gre_versions_we_do_not_decode)
{
    uint16_t flags[] = {0x2001 /* v1 without PPP inside */, 0x0002 /* version 2 */,
                        0x4000 /* source routing */};
    for (size_t i = 0; i < 3; i++) {
        fb f;
        fb_sip_udp4(&f);
        fb_gre(&f, flags[i], i == 0 ? SL_ETH_IPV4 : SL_ETH_IPV4, 0, 0);
        fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_SKIP, "flags %04x", flags[i]);
    }
}

Test(decode, erspan_type2)
{
    fb f;
    fb_sip_udp4(&f);
    fb_vlan(&f, 12, SL_ETH_IPV4);
    fb_eth(&f, SL_ETH_VLAN);
    fb_erspan2(&f, 1023);
    fb_gre(&f, 0x1000, SL_ETH_ERSPAN2, 0, 1);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    fb_eth(&f, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, 1);
    assert_tunnel(&p, 0, SL_TUNNEL_ERSPAN2, 1023, O1, O2);
    cr_assert_eq(p.vlan[0], 12);
    assert_v4(&p.src, A1);
    assert_payload(&p, SIP);

    /* type I: no sequence number, no header */
    fb_sip_udp4(&f);
    fb_eth(&f, SL_ETH_IPV4);
    fb_gre(&f, 0, SL_ETH_ERSPAN2, 0, 0);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_SKIP);
}

Test(decode, erspan_type3_with_and_without_subheader)
{
    for (int platform = 0; platform < 2; platform++) {
        fb f;
        fb_sip_udp4(&f);
        fb_eth(&f, SL_ETH_IPV4);
        fb_erspan3(&f, 300, 0, platform);
        fb_gre(&f, 0x1000, SL_ETH_ERSPAN3, 0, 1);
        fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
        fb_eth(&f, SL_ETH_IPV4);
        sl_packet p;
        sl_anomaly a;
        cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
        assert_tunnel(&p, 0, SL_TUNNEL_ERSPAN3, 300, O1, O2);
        assert_v4(&p.dst, A2);
        assert_payload(&p, SIP);
    }
    fb f;
    fb_sip_udp4(&f);
    fb_erspan3(&f, 5, 2, false); /* frame type IP */
    fb_gre(&f, 0x1000, SL_ETH_ERSPAN3, 0, 1);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_ERSPAN3, 5, O1, O2);
    assert_payload(&p, SIP);
}

Test(decode, erspan_bad_version)
{
    fb f;
    fb_sip_udp4(&f);
    fb_eth(&f, SL_ETH_IPV4);
    fb_erspan3(&f, 1, 0, false);
    fb_gre(&f, 0x1000, SL_ETH_ERSPAN2, 0, 1); /* says II, header says III */
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    assert_anomaly(DLT_IPV4_, &f, "erspan_bad_version");
}

Test(decode, vxlan)
{
    fb f;
    fb_sip_udp4(&f);
    fb_eth(&f, SL_ETH_IPV4);
    fb_vxlan(&f, 0xabcdef);
    fb_udp(&f, 51000, SL_VXLAN_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    fb_eth(&f, SL_ETH_IPV4);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_EN10MB_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_VXLAN, 0xabcdef, O1, O2);
    assert_v4(&p.src, A1);
    cr_assert_eq(p.sport, 5060);
    assert_payload(&p, SIP);
}

Test(decode, sip_on_vxlan_port_stays_udp)
{
    fb f;
    fb_sip_udp4(&f);
    uint8_t *udp = (uint8_t *)fb_data(&f) + 20;
    put16(udp + 2, SL_VXLAN_PORT);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, 0);
    assert_payload(&p, SIP);
}

Test(decode, vxlan_with_broken_inner_frame_stays_udp)
{
    fb f;
    fb_init(&f);
    FB_LIT(&f, "\x45\x00\x00"); /* an IPv4 header cut short */
    fb_eth(&f, SL_ETH_IPV4);
    fb_vxlan(&f, 1);
    fb_udp(&f, 51000, SL_VXLAN_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(a.kind, SL_ANOM_NONE);
    cr_assert_eq(p.n_tunnels, 0);
    assert_v4(&p.src, O1);
    cr_assert_eq(p.payload.len, 8 + 14 + 3);
}

Test(decode, ip_in_ip)
{
    fb f;
    fb_sip_udp4(&f);
    fb_ipv4(&f, SL_IPPROTO_IPIP, O1, O2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_IPIP, 0, O1, O2);
    assert_v4(&p.src, A1);

    /* IPv4 in IPv6 in IPv4: the IPv4 address must not keep IPv6 bytes */
    fb_sip_udp4(&f);
    fb_ipv6(&f, SL_IPPROTO_IPIP, V6A, V6B);
    fb_ipv4(&f, SL_IPPROTO_IPV6, O1, O2);
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, 2);
    assert_tunnel(&p, 0, SL_TUNNEL_IPIP, 0, O1, O2);
    assert_v6(&p.tunnels[1].outer_src, V6A);
    assert_v4(&p.src, A1);
    assert_v4(&p.dst, A2);
    assert_payload(&p, SIP);
}

Test(decode, fragment_inside_a_tunnel)
{
    fb f;
    fb_init(&f);
    fb_str(&f, "middle of something");
    fb_ipv4_full(&f, SL_IPPROTO_UDP, A1, A2, 3, 0x2000 | 10, 0);
    fb_gre(&f, 0, SL_ETH_IPV4, 0, 0);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_FRAGMENT);
    assert_tunnel(&p, 0, SL_TUNNEL_GRE, 0, O1, O2);
    assert_v4(&p.src, A1);
    cr_assert_eq(p.frag.offset, 80);
}

static void nest_ipip(fb *f, unsigned n)
{
    fb_sip_udp4(f);
    for (unsigned i = 0; i < n; i++)
        fb_ipv4(f, SL_IPPROTO_IPIP, O1 + i, O2);
}

Test(decode, nesting_is_bounded)
{
    fb f;
    sl_packet p;
    sl_anomaly a;
    nest_ipip(&f, 8);
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, SL_MAX_TUNNELS);
    assert_tunnel(&p, 3, SL_TUNNEL_IPIP, 0, O1 + 4, O2);
    assert_v4(&p.src, A1);
    assert_payload(&p, SIP);

    nest_ipip(&f, 9);
    assert_anomaly(DLT_IPV4_, &f, "decode_too_deep");
}

/* ---- malformed -------------------------------------------------------- */

Test(decode, ipv4_bad_ihl)
{
    fb f;
    fb_sip_udp4(&f);
    ((uint8_t *)fb_data(&f))[0] = 0x44;
    assert_anomaly(DLT_IPV4_, &f, "ipv4_bad_ihl");
}

Test(decode, ipv4_total_length_short)
{
    fb f;
    fb_sip_udp4(&f);
    put16((uint8_t *)fb_data(&f) + 2, 19);
    assert_anomaly(DLT_IPV4_, &f, "ipv4_total_length_short");
}

Test(decode, udp_bad_lengths)
{
    fb f;
    fb_sip_udp4(&f);
    put16((uint8_t *)fb_data(&f) + 24, 7);
    assert_anomaly(DLT_IPV4_, &f, "udp_bad_length");

    /* a UDP length beyond the IP datagram: decoded, bounded by IP, reported */
    fb_sip_udp4(&f);
    put16((uint8_t *)fb_data(&f) + 24, (uint16_t)(8 + strlen(SIP) + 1));
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "udp_length_exceeds_ip");
    assert_payload(&p, SIP);
    cr_assert_not(p.truncated);

    fb_init(&f);
    fb_str(&f, "abc");
    fb_ipv4(&f, SL_IPPROTO_UDP, A1, A2);
    assert_anomaly(DLT_IPV4_, &f, "udp_too_short");
}

Test(decode, tcp_bad_data_offset)
{
    fb f;
    fb_init(&f);
    fb_str(&f, SIP);
    fb_tcp(&f, 1, 2, 3, 4, SL_TCP_ACK, 0);
    fb_ipv4(&f, SL_IPPROTO_TCP, A1, A2);
    uint8_t *tcp = (uint8_t *)fb_data(&f) + 20;
    tcp[12] = 4 << 4;
    assert_anomaly(DLT_IPV4_, &f, "tcp_bad_data_offset");
    tcp[12] = 15 << 4; /* 60 bytes, more than the segment */
    assert_anomaly(DLT_IPV4_, &f, "tcp_bad_data_offset");
}

Test(decode, ipv6_extension_header_past_the_end)
{
    fb f;
    fb_init(&f);
    fb_str(&f, "12345678");
    fb_ipv6_ext(&f, SL_IPPROTO_UDP, 0);
    fb_ipv6(&f, 60, V6A, V6B);
    uint8_t *ext = (uint8_t *)fb_data(&f) + 40;
    ext[1] = 2; /* 24 bytes, 16 are there */
    assert_anomaly(DLT_IPV6_, &f, "ipv6_ext_overrun");
}

Test(decode, ipv6_extension_header_chain_bounded)
{
    fb f;
    fb_init(&f);
    fb_str(&f, "12345678");
    fb_udp(&f, 1, 2);
    for (int i = 0; i < 20; i++)
        fb_ipv6_ext(&f, i == 0 ? SL_IPPROTO_UDP : 60, 0);
    fb_ipv6(&f, 60, V6A, V6B);
    assert_anomaly(DLT_IPV6_, &f, "ipv6_too_many_ext_headers");
}

Test(decode, gre_truncated)
{
    fb f;
    fb_init(&f);
    fb_gre(&f, 0x2000, SL_ETH_IPV4, 1, 0);
    fb_ipv4(&f, SL_IPPROTO_GRE, O1, O2);
    /* the IP length says the GRE header ends before its key */
    put16((uint8_t *)fb_data(&f) + 2, 20 + 6);
    assert_anomaly(DLT_IPV4_, &f, "gre_truncated");
}

/* ---- GTP-U ------------------------------------------------------------ */

/* A GTPv1-U header over what is in f: with seq, the optional 4 bytes; then
 * n_ext extension headers of `units` 4-octet units each. */
static void fb_gtpu_ext(fb *f, uint8_t msg, uint32_t teid, bool seq, unsigned n_ext, uint8_t units)
{
    uint8_t next = 0;
    for (unsigned i = 0; i < n_ext; i++) {
        uint8_t *e = fb_push(f, (size_t)units * 4);
        e[0] = units;
        memset(e + 1, 0xaa, (size_t)units * 4 - 2);
        e[units * 4 - 1] = next;
        next = i % 2 ? 0x40 : 0x85;
    }
    uint8_t flags = 0x30;
    if (seq || n_ext) {
        uint8_t *o = fb_push(f, 4);
        put16(o, 777);
        o[3] = next;
        flags |= (uint8_t)((seq ? 0x02 : 0) | (n_ext ? 0x04 : 0));
    }
    size_t len = fb_len(f);
    uint8_t *p = fb_push(f, 8);
    p[0] = flags;
    p[1] = msg;
    put16(p + 2, (uint16_t)len);
    put32(p + 4, teid);
}

static void fb_gtpu_sip(fb *f, bool seq, unsigned n_ext, uint16_t port)
{
    fb_sip_udp4(f);
    fb_gtpu_ext(f, SL_GTP_GPDU, 0x1234, seq, n_ext, 2);
    fb_udp(f, port, port);
    fb_ipv4(f, SL_IPPROTO_UDP, O1, O2);
}

/* One decode, no prefixes: for frames whose prefixes fall back to plain UDP. */
static sl_decode_result decode_once(const fb *f, sl_packet *p, sl_anomaly *a)
{
    return sl_decode_frame(DLT_IPV4_, fb_data(f), fb_len(f), p, a);
}

Test(decode, gtpu_gpdu_with_sequence_and_extension_chain)
{
    fb f;
    fb_gtpu_sip(&f, true, 3, SL_GTPU_PORT);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(a.kind, SL_ANOM_NONE);
    cr_assert_eq(p.n_tunnels, 1);
    assert_tunnel(&p, 0, SL_TUNNEL_GTPU, 0x1234, O1, O2);
    assert_v4(&p.src, A1);
    assert_v4(&p.dst, A2);
    assert_payload(&p, SIP);
}

Test(decode, gtpu_plain_header)
{
    fb f;
    fb_gtpu_sip(&f, false, 0, SL_GTPU_PORT);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_GTPU, 0x1234, O1, O2);
    assert_payload(&p, SIP);
}

Test(decode, gtpu_found_by_content_on_another_port)
{
    fb f;
    fb_gtpu_sip(&f, true, 1, 40000);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_GTPU, 0x1234, O1, O2);
    assert_payload(&p, SIP);
}

Test(decode, gtpu_probe_off_port_needs_an_exact_length)
{
    fb f;
    fb_gtpu_sip(&f, false, 0, 40000);
    uint8_t *g = (uint8_t *)fb_data(&f) + 28;
    put16(g + 2, (uint16_t)(((g[2] << 8) | g[3]) - 1)); /* one byte short of the datagram */
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(p.n_tunnels, 0);
    cr_assert_eq(p.dport, 40000);
}

Test(decode, sip_on_gtp_ports_stays_udp)
{
    static const uint16_t ports[] = {SL_GTPU_PORT, SL_GTPC_PORT, SL_HEP_PORT, 40000};
    /* digits are the only text that passes the version-1 probe; on the GTP-U
     * port they are GTP (not SIP, which starts with a letter) */
    static const char *const texts[] = {SIP, "SIP/2.0 200 OK\r\n\r\n", "0123456789abcdef"};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
            fb f;
            fb_init(&f);
            fb_str(&f, texts[t]);
            fb_udp(&f, 5060, ports[i]);
            fb_ipv4(&f, SL_IPPROTO_UDP, A1, A2);
            sl_packet p;
            sl_anomaly a;
            sl_decode_result r = decode_once(&f, &p, &a);
            if (ports[i] == SL_GTPU_PORT && t == 2) { /* "01": GTPv1, message type '1' */
                cr_assert_eq(r, SL_DECODE_SKIP);
                cr_assert_eq(p.note, SL_NOTE_GTP_OTHER);
                continue;
            }
            cr_assert_eq(r, SL_DECODE_UDP, "port %u text %zu: %d %s", ports[i], t, r,
                         a.kind ? sl_anomaly_name(a.kind) : "");
            cr_assert_eq(p.n_tunnels, 0);
            cr_assert_eq(p.note, SL_NOTE_NONE);
            assert_payload(&p, texts[t]);
        }
}

Test(decode, gtp_messages_other_than_gpdu_are_counted)
{
    fb f;
    fb_init(&f);
    fb_gtpu_ext(&f, 1 /* echo request */, 0, true, 0, 1);
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_SKIP);
    cr_assert_eq(p.note, SL_NOTE_GTP_OTHER);
    cr_assert_eq(a.kind, SL_ANOM_NONE);

    fb_init(&f); /* GTPv2-C echo request with a Recovery IE on 2123 */
    FB_LIT(&f, "\x40\x01\x00\x09\x00\x00\x01\x00\x03\x00\x01\x00\x07");
    fb_udp(&f, SL_GTPC_PORT, SL_GTPC_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_SKIP);
    cr_assert_eq(p.note, SL_NOTE_GTPV2C);
}

Test(decode, gtpu_extension_chain_bounded)
{
    fb f;
    fb_sip_udp4(&f);
    fb_gtpu_ext(&f, SL_GTP_GPDU, 1, false, SL_GTPU_MAX_EXT + 1, 1);
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "gtpu_too_many_ext");

    fb_sip_udp4(&f); /* exactly the bound: decoded */
    fb_gtpu_ext(&f, SL_GTP_GPDU, 1, false, SL_GTPU_MAX_EXT, 1);
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    assert_payload(&p, SIP);
}

Test(decode, gtpu_malformed)
{
    fb f;
    sl_packet p;
    sl_anomaly a;
    /* an extension header of length 0 */
    fb_sip_udp4(&f);
    fb_gtpu_ext(&f, SL_GTP_GPDU, 1, false, 1, 1);
    uint8_t *g = (uint8_t *)fb_data(&f);
    g[12] = 0;
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "gtpu_bad_ext");

    /* a stated length beyond the UDP datagram */
    fb_sip_udp4(&f);
    fb_gtpu_ext(&f, SL_GTP_GPDU, 1, false, 0, 1);
    g = (uint8_t *)fb_data(&f);
    put16(g + 2, 2000);
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "gtpu_bad_length");

    /* a stated length too short for the optional fields */
    fb_sip_udp4(&f);
    fb_gtpu_ext(&f, SL_GTP_GPDU, 1, true, 0, 1);
    g = (uint8_t *)fb_data(&f);
    put16(g + 2, 2);
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "gtpu_bad_length");

    /* the inner packet broken: on the GTP-U port an error, not plain UDP */
    fb_init(&f);
    FB_LIT(&f, "\x45\x00\x00");
    fb_gtpu_ext(&f, SL_GTP_GPDU, 1, false, 0, 1);
    fb_udp(&f, SL_GTPU_PORT, SL_GTPU_PORT);
    fb_ipv4(&f, SL_IPPROTO_UDP, O1, O2);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert(a.kind);
}

/* ---- HEP -------------------------------------------------------------- */

static void fb_hep_chunk(fb *f, uint16_t vendor, uint16_t type, const void *v, size_t n)
{
    uint8_t *p = fb_push(f, 6 + n);
    put16(p, vendor);
    put16(p + 2, type);
    put16(p + 4, (uint16_t)(6 + n));
    memcpy(p + 6, v, n);
}

/* HEPv3 around the SIP text: chunks pushed in reverse, so the payload is last. */
static void fb_hep3(fb *f, uint8_t proto_type, uint16_t payload_type, bool with_dst)
{
    fb_init(f);
    size_t n = strlen(SIP);
    fb_hep_chunk(f, 0, payload_type, SIP, n);
    uint8_t u8 = proto_type;
    fb_hep_chunk(f, 0, 11, &u8, 1);
    uint8_t id[4] = {0, 0, 0x07, 0xd1}; /* 2001 */
    fb_hep_chunk(f, 0, 12, id, 4);
    uint8_t sec[4] = {0x69, 0xa4, 0x0e, 0x20}, usec[4] = {0, 0, 0x01, 0xf4}; /* x.000500 */
    fb_hep_chunk(f, 0, 10, usec, 4);
    fb_hep_chunk(f, 0, 9, sec, 4);
    fb_hep_chunk(f, 0x0003, 1, "vendor", 6); /* skipped */
    uint8_t port[2] = {0x13, 0xc4};          /* 5060 */
    fb_hep_chunk(f, 0, 8, port, 2);
    port[1] = 0xc6; /* 5062 */
    fb_hep_chunk(f, 0, 7, port, 2);
    uint8_t a2[4] = {192, 0, 2, 2}, a1[4] = {192, 0, 2, 1};
    if (with_dst)
        fb_hep_chunk(f, 0, 4, a2, 4);
    fb_hep_chunk(f, 0, 3, a1, 4);
    u8 = 17;
    fb_hep_chunk(f, 0, 2, &u8, 1);
    u8 = 2;
    fb_hep_chunk(f, 0, 1, &u8, 1);
    size_t total = fb_len(f) + 6;
    uint8_t *h = fb_push(f, 6);
    memcpy(h, "HEP3", 4);
    put16(h + 4, (uint16_t)total);
}

static void fb_hep_udp(fb *f, uint16_t dport)
{
    fb_udp(f, 47000, dport);
    fb_ipv4(f, SL_IPPROTO_UDP, O1, O2);
}

Test(decode, hep3_sip)
{
    fb f;
    fb_hep3(&f, 1, 15, true);
    fb_hep_udp(&f, SL_HEP_PORT);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert_eq(a.kind, SL_ANOM_NONE);
    cr_assert(p.from_hep);
    assert_tunnel(&p, 0, SL_TUNNEL_HEP, 2001, O1, O2);
    cr_assert_eq(p.tunnels[0].version, 3);
    assert_v4(&p.src, A1);
    assert_v4(&p.dst, A2);
    cr_assert_eq(p.sport, 5062);
    cr_assert_eq(p.dport, 5060);
    cr_assert_eq(p.ip_proto, SL_IPPROTO_UDP);
    cr_assert_eq(p.origin_ts, (int64_t)0x69a40e20 * 1000000000 + 500000);
    assert_payload(&p, SIP);
}

Test(decode, hep3_found_by_magic_on_any_port)
{
    fb f;
    fb_hep3(&f, 1, 15, true);
    fb_hep_udp(&f, 40000);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    cr_assert(p.from_hep);
    assert_payload(&p, SIP);
}

Test(decode, hep3_not_sip_and_compressed_are_counted)
{
    fb f;
    sl_packet p;
    sl_anomaly a;
    fb_hep3(&f, 5 /* RTCP */, 15, true);
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_SKIP);
    cr_assert_eq(p.note, SL_NOTE_HEP_NOT_SIP);
    fb_hep3(&f, 1, 16 /* compressed payload */, true);
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_SKIP);
    cr_assert_eq(p.note, SL_NOTE_HEP_COMPRESSED);
    cr_assert_eq(a.kind, SL_ANOM_NONE);
}

Test(decode, hep3_malformed)
{
    fb f;
    sl_packet p;
    sl_anomaly a;
    fb_hep3(&f, 1, 15, false); /* no destination address */
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "hep_missing_chunk");

    fb_hep3(&f, 1, 15, true);
    uint8_t *h = (uint8_t *)fb_data(&f);
    put16(h + 6 + 4, 5); /* the first chunk's length below its header */
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "hep_bad_chunk");

    fb_hep3(&f, 1, 15, true);
    h = (uint8_t *)fb_data(&f);
    put16(h + 6 + 4, 8); /* the family chunk two bytes long */
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "hep_bad_chunk");

    fb_hep3(&f, 1, 15, true);
    h = (uint8_t *)fb_data(&f);
    put16(h + 4, 60000); /* a total length past the datagram */
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "hep_truncated");

    fb_hep3(&f, 1, 15, true);
    h = (uint8_t *)fb_data(&f);
    put16(h + 4, 3); /* a total length shorter than the header */
    fb_hep_udp(&f, SL_HEP_PORT);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_ERROR);
    cr_assert_str_eq(sl_anomaly_name(a.kind), "hep_bad_length");
}

static void fb_hep2(fb *f)
{
    fb_init(f);
    fb_str(f, SIP);
    uint8_t *h = fb_push(f, 28);
    h[0] = 2;
    h[1] = 28;
    h[2] = 2; /* AF_INET */
    h[3] = 6; /* TCP */
    put16(h + 4, 5062);
    put16(h + 6, 5060);
    put32(h + 8, A1);
    put32(h + 12, A2);
    h[16] = 0x20, h[17] = 0x0e, h[18] = 0xa4, h[19] = 0x69; /* seconds, little-endian */
    h[20] = 7;                                              /* microseconds */
    h[24] = 42;                                             /* capture id */
}

Test(decode, hep2_on_its_port_only)
{
    fb f;
    fb_hep2(&f);
    fb_hep_udp(&f, SL_HEP_PORT);
    sl_packet p;
    sl_anomaly a;
    cr_assert_eq(decode(DLT_IPV4_, &f, &p, &a), SL_DECODE_UDP);
    assert_tunnel(&p, 0, SL_TUNNEL_HEP, 42, O1, O2);
    cr_assert_eq(p.tunnels[0].version, 2);
    assert_v4(&p.src, A1);
    cr_assert_eq(p.sport, 5062);
    cr_assert_eq(p.ip_proto, SL_IPPROTO_TCP);
    cr_assert_eq(p.origin_ts, (int64_t)0x69a40e20 * 1000000000 + 7000);
    assert_payload(&p, SIP);

    fb_hep2(&f);
    fb_hep_udp(&f, 40000);
    cr_assert_eq(decode_once(&f, &p, &a), SL_DECODE_UDP);
    cr_assert(!p.from_hep);
    cr_assert_eq(p.n_tunnels, 0);
}
