/* The pcapng reader on files built here byte by byte, in both byte orders.
 * Memory readers use the buffer in place, and the buffers end at a guard page,
 * so any read past a block's end crashes the test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guarded.h"
#include "sipsleuth/pcapng.h"

enum { LT_ETHERNET = 1, LT_RAW = 101, LT_SLL = 113 };

typedef struct file {
    uint8_t *b;
    size_t n, cap;
    bool be;         /* the current section is big-endian */
    size_t ends[64]; /* offset after each block (the first 64) */
    size_t n_blocks;
} file;

static void put(file *f, const void *p, size_t n)
{
    if (f->n + n > f->cap) {
        f->cap = (f->n + n) * 2;
        f->b = realloc(f->b, f->cap);
        cr_assert_not_null(f->b);
    }
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put16(file *f, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    if (f->be)
        b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
    put(f, b, 2);
}

static void put32(file *f, uint32_t v)
{
    put16(f, (uint16_t)(f->be ? v >> 16 : v));
    put16(f, (uint16_t)(f->be ? v : v >> 16));
}

static void set32(file *f, size_t at, uint32_t v)
{
    size_t n = f->n;
    f->n = at;
    put32(f, v);
    f->n = n;
}

static size_t begin(file *f, uint32_t type)
{
    size_t at = f->n;
    put32(f, type);
    put32(f, 0);
    return at;
}

static void end(file *f, size_t at)
{
    static const uint8_t zero[4];
    put(f, zero, (4 - f->n % 4) % 4);
    uint32_t len = (uint32_t)(f->n - at + 4);
    put32(f, len);
    set32(f, at + 4, len);
    if (f->n_blocks < 64)
        f->ends[f->n_blocks++] = f->n;
}

static void shb(file *f, bool be, uint16_t major, uint16_t minor)
{
    f->be = be;
    size_t at = begin(f, 0x0A0D0D0A);
    put32(f, 0x1A2B3C4D);
    put16(f, major);
    put16(f, minor);
    put32(f, 0xFFFFFFFF); /* section length: unknown */
    put32(f, 0xFFFFFFFF);
    end(f, at);
}

/* tsresol < 0: none; tsoffset is written when non-zero. */
static void idb(file *f, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = begin(f, 1);
    put16(f, linktype);
    put16(f, 0);
    put32(f, snaplen);
    put16(f, 2); /* if_name, skipped */
    put16(f, 3);
    put(f, "lo\0\0", 4);
    if (tsresol >= 0) {
        put16(f, 9);
        put16(f, 1);
        uint8_t r[4] = {(uint8_t)tsresol};
        put(f, r, 4);
    }
    if (tsoffset) {
        put16(f, 14);
        put16(f, 8);
        uint64_t v = (uint64_t)tsoffset;
        put32(f, (uint32_t)(f->be ? v >> 32 : v));
        put32(f, (uint32_t)(f->be ? v : v >> 32));
    }
    put32(f, 0); /* opt_endofopt */
    end(f, at);
}

static void epb(file *f, uint32_t ifc, uint64_t ts, const char *data, uint32_t wirelen)
{
    size_t at = begin(f, 6);
    put32(f, ifc);
    put32(f, (uint32_t)(ts >> 32));
    put32(f, (uint32_t)ts);
    put32(f, (uint32_t)strlen(data));
    put32(f, wirelen);
    put(f, data, strlen(data));
    end(f, at);
}

static void spb(file *f, const char *data)
{
    size_t at = begin(f, 3);
    put32(f, (uint32_t)strlen(data));
    put(f, data, strlen(data));
    end(f, at);
}

static void obsolete_pb(file *f, uint16_t ifc, uint64_t ts, const char *data)
{
    size_t at = begin(f, 2);
    put16(f, ifc);
    put16(f, 7); /* drops */
    put32(f, (uint32_t)(ts >> 32));
    put32(f, (uint32_t)ts);
    put32(f, (uint32_t)strlen(data));
    put32(f, (uint32_t)strlen(data));
    put(f, data, strlen(data));
    end(f, at);
}

static void other_block(file *f, uint32_t type, size_t body)
{
    size_t at = begin(f, type);
    for (size_t i = 0; i < body; i++)
        put(f, "x", 1);
    end(f, at);
}

typedef struct result {
    size_t n;
    sl_pcapng_packet pkt[16];
    char data[16][64];
    sl_pcapng_result last;
    char error[256];
    uint32_t interfaces;
} result;

/* Reads the first len bytes of f from a buffer that ends at a guard page. */
static result read_prefix(const file *f, size_t len)
{
    result r = {0};
    sl_guarded g;
    const uint8_t *p = sl_guard(&g, f->b, len);
    sl_pcapng *ng = sl_pcapng_open_memory(p, len);
    cr_assert_not_null(ng);
    while ((r.last = sl_pcapng_next(ng, &r.pkt[r.n])) == SL_PCAPNG_PACKET) {
        cr_assert_lt(r.n, 16);
        const sl_pcapng_packet *k = &r.pkt[r.n];
        cr_assert(k->data >= p && k->data + k->caplen <= p + len);
        memcpy(r.data[r.n], k->data, k->caplen < 63 ? k->caplen : 63);
        r.n++;
    }
    cr_assert_eq(sl_pcapng_next(ng, &r.pkt[r.n]), r.last, "the end is sticky");
    snprintf(r.error, sizeof r.error, "%s", sl_pcapng_error(ng));
    r.interfaces = sl_pcapng_interfaces(ng);
    sl_pcapng_close(ng);
    sl_guard_free(&g);
    return r;
}

static result read_file(const file *f)
{
    return read_prefix(f, f->n);
}

static const sl_time T = INT64_C(1772359200) * 1000000000; /* 2026-03-01T10:00:00Z */

static void simple_file(file *f, bool be)
{
    shb(f, be, 1, 0);
    idb(f, LT_ETHERNET, 65535, -1, 0);
    epb(f, 0, (uint64_t)(T / 1000) + 5, "first", 100);
    epb(f, 0, (uint64_t)(T / 1000) + 6, "second!", 7);
}

Test(pcapng, both_byte_orders)
{
    for (int be = 0; be <= 1; be++) {
        file f = {0};
        simple_file(&f, be);
        result r = read_file(&f);
        cr_assert_eq(r.last, SL_PCAPNG_END, "%s", r.error);
        cr_assert_eq(r.n, 2);
        cr_assert_eq(r.pkt[0].ts, T + 5000, "microseconds by default");
        cr_assert_eq(r.pkt[1].ts, T + 6000);
        cr_assert_str_eq(r.data[0], "first");
        cr_assert_str_eq(r.data[1], "second!");
        cr_assert_eq(r.pkt[0].caplen, 5);
        cr_assert_eq(r.pkt[0].wirelen, 100);
        cr_assert_eq(r.pkt[1].caplen, 7);
        cr_assert_eq(r.pkt[0].linktype, LT_ETHERNET);
        free(f.b);
    }
}

Test(pcapng, timestamp_resolutions_exact)
{
    struct {
        int tsresol;
        int64_t tsoffset;
        uint64_t units;
        sl_time want;
    } cases[] = {
        {9, 0, (uint64_t)T + 123, T + 123},                    /* nanoseconds */
        {3, 0, (uint64_t)(T / 1000000) + 7, T + 7000000},      /* milliseconds */
        {0, 0, 1772359200, T},                                 /* seconds */
        {12, 0, UINT64_C(5000000000000) + 999999, 5000000999}, /* ps, floored */
        {0x80 | 10, 0, 3 * 1024 + 512, 3500000000},            /* 2^-10 s */
        {0x80 | 32, 0, (UINT64_C(1) << 32) + (UINT64_C(1) << 30), 1250000000},
        {0x80 | 20, 0, 1, 953},                        /* 10^9 / 2^20 = 953.67 */
        {6, 100, 5, 100 * INT64_C(1000000000) + 5000}, /* if_tsoffset */
        {6, -1, 0, -INT64_C(1000000000)},
        {0, 0, UINT64_MAX, INT64_MAX}, /* saturates */
        {0x80 | 127, 0, UINT64_MAX, 0},
        {100, 0, UINT64_MAX, 0},
    };
    for (int be = 0; be <= 1; be++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            file f = {0};
            shb(&f, be, 1, 0);
            idb(&f, LT_RAW, 0, cases[i].tsresol, cases[i].tsoffset);
            epb(&f, 0, cases[i].units, "x", 1);
            result r = read_file(&f);
            cr_assert_eq(r.n, 1, "case %zu: %s", i, r.error);
            cr_assert_eq(r.pkt[0].ts, cases[i].want, "case %zu: %lld", i, (long long)r.pkt[0].ts);
            free(f.b);
        }
    }
}

/* Interfaces of several link types, sections of both byte orders, and the
 * block types that are skipped. */
static void rich_file(file *f)
{
    shb(f, false, 1, 0);
    other_block(f, 0x00000BAD, 9); /* custom, before any interface */
    idb(f, LT_ETHERNET, 0, 9, 0);  /* 0: ns */
    idb(f, LT_SLL, 0, -1, 0);      /* 1: µs */
    idb(f, LT_RAW, 4, -1, 0);      /* 2: snaplen 4 */
    epb(f, 1, 1000, "sll", 3);
    other_block(f, 4, 16); /* Name Resolution */
    epb(f, 0, 2000, "eth", 3);
    obsolete_pb(f, 2, 3000, "raw");
    other_block(f, 5, 24);          /* Interface Statistics */
    other_block(f, 0x0000000A, 20); /* Decryption Secrets */
    shb(f, true, 1, 0);             /* a new section resets the interfaces */
    idb(f, LT_RAW, 4, -1, 0);
    epb(f, 0, 4000, "new", 3);
    spb(f, "simple!!");            /* interface 0's snaplen cuts it to 4 */
    other_block(f, 0x40000BAD, 0); /* custom, not to be copied */
}

Test(pcapng, link_types_sections_and_skipped_blocks)
{
    file f = {0};
    rich_file(&f);
    result r = read_file(&f);
    cr_assert_eq(r.last, SL_PCAPNG_END, "%s", r.error);
    cr_assert_eq(r.n, 5);
    const char *data[] = {"sll", "eth", "raw", "new", "simp"};
    uint16_t lt[] = {LT_SLL, LT_ETHERNET, LT_RAW, LT_RAW, LT_RAW};
    uint32_t ifc[] = {1, 0, 2, 0, 0};
    sl_time ts[] = {1000000, 2000, 3000000, 4000000, 4000000};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_str_eq(r.data[i], data[i], "packet %zu", i);
        cr_assert_eq(r.pkt[i].linktype, lt[i], "packet %zu", i);
        cr_assert_eq(r.pkt[i].interface, ifc[i], "packet %zu", i);
        cr_assert_eq(r.pkt[i].ts, ts[i], "packet %zu: the simple block takes the time before it",
                     i);
    }
    cr_assert_eq(r.pkt[4].caplen, 4);
    cr_assert_eq(r.pkt[4].wirelen, 8);
    cr_assert_eq(r.interfaces, 1, "only the second section's interface");
    free(f.b);
}

Test(pcapng, interfaces_known_before_the_first_packet)
{
    file f = {0};
    rich_file(&f);
    sl_pcapng *ng = sl_pcapng_open_memory(f.b, f.n);
    cr_assert_eq(sl_pcapng_interfaces(ng), 3);
    cr_assert_eq(sl_pcapng_linktype(ng, 1), LT_SLL);
    cr_assert_eq(sl_pcapng_offset(ng), f.ends[4], "up to the first packet block");
    sl_pcapng_packet p;
    cr_assert_eq(sl_pcapng_next(ng, &p), SL_PCAPNG_PACKET);
    cr_assert_eq(p.linktype, LT_SLL, "the held block is returned first");
    cr_assert_eq(sl_pcapng_offset(ng), f.ends[5]);
    sl_pcapng_close(ng);
    free(f.b);
}

/* Every prefix: ending on a block boundary is the end of the file, anywhere
 * else an error naming the torn block's offset; the packets before are read. */
Test(pcapng, every_truncated_prefix)
{
    file f = {0};
    rich_file(&f);
    /* packets complete at each block end */
    size_t packets_at[64] = {0}, n = 0;
    int packet_block[] = {5, 7, 8, 13, 14};
    for (size_t b = 0; b < f.n_blocks; b++) {
        for (size_t k = 0; k < 5; k++)
            if ((size_t)packet_block[k] == b)
                n++;
        packets_at[b] = n;
    }
    size_t block = 0, block_start = 0;
    for (size_t len = 0; len < f.n; len++) {
        while (block < f.n_blocks && f.ends[block] <= len)
            block_start = f.ends[block++];
        result r = read_prefix(&f, len);
        size_t want = block ? packets_at[block - 1] : 0;
        cr_assert_eq(r.n, want, "prefix %zu", len);
        if (len == block_start && len > 0) {
            cr_assert_eq(r.last, SL_PCAPNG_END, "prefix %zu: %s", len, r.error);
        } else {
            char at[40];
            snprintf(at, sizeof at, "at offset %zu", block_start);
            cr_assert_eq(r.last, SL_PCAPNG_ERROR, "prefix %zu", len);
            cr_assert(strstr(r.error, "truncated") && strstr(r.error, at), "prefix %zu: %s", len,
                      r.error);
        }
    }
    free(f.b);
}

/* Builds a one-packet file, lets `spoil` change it, and expects an error
 * containing `why` with no packet. */
static void expect_error(void (*spoil)(file *), const char *why)
{
    for (int be = 0; be <= 1; be++) {
        file f = {0};
        shb(&f, be, 1, 0);
        idb(&f, LT_ETHERNET, 0, -1, 0);
        epb(&f, 0, 1, "payload", 7);
        spoil(&f);
        result r = read_file(&f);
        cr_assert_eq(r.last, SL_PCAPNG_ERROR, "%s", why);
        cr_assert_eq(r.n, 0, "%s", why);
        cr_assert(strstr(r.error, why), "want \"%s\", got \"%s\"", why, r.error);
        cr_assert(strstr(r.error, "at offset "), "%s", r.error);
        free(f.b);
    }
}

static size_t epb_at(const file *f)
{
    return f->ends[1];
}
static void short_length(file *f)
{
    set32(f, epb_at(f) + 4, 8);
}
static void odd_length(file *f)
{
    set32(f, epb_at(f) + 4, 42);
}
static void huge_length(file *f)
{
    set32(f, epb_at(f) + 4, SL_PCAPNG_MAX_BLOCK + 4);
}
static void bad_trailer(file *f)
{
    set32(f, f->n - 4, 12);
}
static void bad_caplen(file *f)
{
    set32(f, epb_at(f) + 20, 9);
}
static void bad_interface(file *f)
{
    set32(f, epb_at(f) + 8, 1);
}
static void bad_version(file *f)
{
    set32(f, 12, f->be ? 0x00020000 : 0x00000002);
}
static void bad_magic(file *f)
{
    f->b[8] ^= 0xFF;
}
static void not_shb_first(file *f)
{
    memcpy(f->b, f->b + f->ends[0], 4);
}
static void bad_option(file *f)
{
    set32(f, f->ends[0] + 16, f->be ? 0x00020100 : 0x01000002);
}
static void bad_tsresol(file *f)
{
    /* if_name (2, length 3) becomes if_tsresol of length 3 */
    set32(f, f->ends[0] + 16, f->be ? 0x00090003 : 0x00030009);
}

Test(pcapng, bogus_lengths_and_headers)
{
    expect_error(short_length, "bad block length 8");
    expect_error(odd_length, "bad block length 42");
    expect_error(huge_length, "the limit is 16777216");
    expect_error(bad_trailer, "trailing length");
    expect_error(bad_caplen, "captured length exceeds");
    expect_error(bad_interface, "interface 1 of a section that describes 1");
    expect_error(bad_version, "version 2.0 (only 1.0");
    expect_error(bad_magic, "byte-order magic");
    expect_error(not_shb_first, "not a pcapng file");
    expect_error(bad_option, "option past its end");
    expect_error(bad_tsresol, "if_tsresol not of 1 byte");
}

Test(pcapng, simple_packet_needs_an_interface)
{
    file f = {0};
    shb(&f, false, 1, 0);
    spb(&f, "orphan");
    result r = read_file(&f);
    cr_assert_eq(r.last, SL_PCAPNG_ERROR);
    cr_assert(strstr(r.error, "interface 0 of a section that describes 0"), "%s", r.error);
    free(f.b);
}

/* From a descriptor: chunked reads, a block larger than the first buffer,
 * and the 4 bytes the caller read to tell the format. */
Test(pcapng, descriptor_reads_across_chunks)
{
    file f = {0};
    shb(&f, true, 1, 0);
    idb(&f, LT_ETHERNET, 0, -1, 0);
    static char big[3 << 20];
    memset(big, 'b', sizeof big - 1);
    static char mid[1500];
    memset(mid, 'm', sizeof mid - 1);
    size_t n = 0;
    for (; n < 2000; n++)
        epb(&f, 0, n, mid, 1499); /* 3 MB: several chunks, blocks across their edges */
    epb(&f, 0, n++, big, 3 << 20);
    epb(&f, 0, n++, "tail", 4);
    char path[] = "/tmp/test_pcapng.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    unlink(path);
    cr_assert_eq(write(fd, f.b, f.n), (ssize_t)f.n);
    lseek(fd, 0, SEEK_SET);
    uint8_t head[4];
    cr_assert_eq(read(fd, head, 4), 4);
    cr_assert(sl_pcapng_magic(head));
    sl_pcapng *ng = sl_pcapng_open_fd(fd, head, 4);
    sl_pcapng_packet p;
    size_t got = 0;
    while (sl_pcapng_next(ng, &p) == SL_PCAPNG_PACKET) {
        size_t want = got < 2000 ? 1499 : got == 2000 ? sizeof big - 1 : 4;
        cr_assert_eq(p.caplen, want, "packet %zu", got);
        cr_assert_eq(p.data[0], got < 2000 ? 'm' : got == 2000 ? 'b' : 't');
        cr_assert_eq(p.data[want - 1], got < 2000 ? 'm' : got == 2000 ? 'b' : 'l');
        cr_assert_eq(p.ts, (sl_time)got * 1000);
        got++;
    }
    cr_assert_eq(got, n, "%s", sl_pcapng_error(ng));
    cr_assert_eq(sl_pcapng_offset(ng), f.n);
    sl_pcapng_close(ng);
    close(fd);
    free(f.b);
}
