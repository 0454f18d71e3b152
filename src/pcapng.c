/* pcapng block reader. The file is read in large chunks into one buffer
 * (or used in place when it is already in memory); a block is parsed only once
 * all of it, up to its trailing length, is in that buffer. */
#include "sipsleuth/pcapng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    BLOCK_PACKET = 0x00000002, /* obsolete Packet Block */
    BLOCK_IDB = 0x00000001,
    BLOCK_SPB = 0x00000003,
    BLOCK_EPB = 0x00000006,
    BLOCK_SHB = 0x0A0D0D0A,
    BYTE_ORDER_MAGIC = 0x1A2B3C4D,
    OPT_END = 0,
    OPT_IF_TSRESOL = 9,
    OPT_IF_TSOFFSET = 14,
    DEFAULT_TSRESOL = 6, /* microseconds */
};

/* Bytes read from a descriptor at a time (the buffer grows for a larger block). */
#define READ_CHUNK (1u << 20)

typedef struct iface {
    uint16_t linktype;
    uint8_t tsresol; /* if_tsresol: 10^-n, or 2^-n when the top bit is set */
    uint32_t snaplen;
    int64_t tsoffset; /* if_tsoffset: seconds added to every stamp */
} iface;

struct sl_pcapng {
    int fd;              /* -1: the whole file is in memory */
    const uint8_t *data; /* the buffer: owned (fd) or the caller's (memory) */
    uint8_t *owned;
    size_t cap, start, end; /* data[start, end) is read but not consumed */
    uint64_t base;          /* file offset of data[0] */
    bool eof;
    volatile sig_atomic_t stop;
    bool in_section, big_endian;
    iface *ifaces;
    uint32_t n_ifaces, cap_ifaces;
    sl_time last_ts;         /* for Simple Packet Blocks, which have no stamp */
    uint32_t type, len;      /* the loaded block, at data[start] */
    bool loaded;             /* a packet block is loaded, not yet returned */
    bool started;            /* sl_pcapng_next() was called */
    sl_pcapng_result failed; /* SL_PCAPNG_PACKET, or the sticky END / ERROR */
    char error[200];
    char io_error[120]; /* why fill() failed */
};

bool sl_pcapng_magic(const uint8_t head[4])
{
    return head[0] == 0x0A && head[1] == 0x0D && head[2] == 0x0D && head[3] == 0x0A;
}

static sl_pcapng *alloc_reader(void)
{
    sl_pcapng *r = calloc(1, sizeof *r);
    if (r)
        r->failed = SL_PCAPNG_PACKET;
    return r;
}

sl_pcapng *sl_pcapng_open_fd(int fd, const uint8_t *prefix, size_t prefix_len)
{
    sl_pcapng *r = alloc_reader();
    if (!r)
        return NULL;
    r->owned = malloc(READ_CHUNK);
    if (!r->owned || prefix_len > READ_CHUNK) {
        free(r->owned);
        free(r);
        return NULL;
    }
    memcpy(r->owned, prefix, prefix_len);
    r->data = r->owned;
    r->cap = READ_CHUNK;
    r->end = prefix_len;
    r->fd = fd;
    return r;
}

sl_pcapng *sl_pcapng_open_memory(const uint8_t *data, size_t len)
{
    sl_pcapng *r = alloc_reader();
    if (!r)
        return NULL;
    r->fd = -1;
    r->data = data;
    r->cap = r->end = len;
    r->eof = true;
    return r;
}

void sl_pcapng_close(sl_pcapng *r)
{
    if (!r)
        return;
    free(r->owned);
    free(r->ifaces);
    free(r);
}

void sl_pcapng_break(sl_pcapng *r)
{
    r->stop = 1;
}
const char *sl_pcapng_error(const sl_pcapng *r)
{
    return r->error;
}
uint64_t sl_pcapng_offset(const sl_pcapng *r)
{
    return r->base + r->start;
}

static uint64_t block_offset(const sl_pcapng *r)
{
    return r->base + r->start;
}

static sl_pcapng_result fail(sl_pcapng *r, const char *what)
{
    snprintf(r->error, sizeof r->error, "%s at offset %llu", what,
             (unsigned long long)block_offset(r));
    r->failed = SL_PCAPNG_ERROR;
    return SL_PCAPNG_ERROR;
}

static uint16_t get16(const sl_pcapng *r, const uint8_t *p)
{
    return r->big_endian ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t get32(const sl_pcapng *r, const uint8_t *p)
{
    uint32_t hi = get16(r, p), lo = get16(r, p + 2);
    return r->big_endian ? hi << 16 | lo : lo << 16 | hi;
}

/* Makes at least `need` unconsumed bytes available if the file has them;
 * returns how many are. Sets r->io_error (and returns 0) on a read error. */
static size_t fill(sl_pcapng *r, size_t need)
{
    size_t have = r->end - r->start;
    if (have >= need || r->eof)
        return have;
    if (need > r->cap - r->start) {
        memmove(r->owned, r->owned + r->start, have);
        r->base += r->start;
        r->start = 0;
        r->end = have;
        if (need > r->cap) {
            uint8_t *bigger = realloc(r->owned, need);
            if (!bigger) {
                snprintf(r->io_error, sizeof r->io_error, "out of memory for a %zu-byte block",
                         need);
                return 0;
            }
            r->owned = bigger;
            r->data = bigger;
            r->cap = need;
        }
    }
    while (r->end - r->start < need && !r->eof) {
        ssize_t n = read(r->fd, r->owned + r->end, r->cap - r->end);
        if (n > 0) {
            r->end += (size_t)n;
        } else if (n == 0 || (errno == EINTR && r->stop)) {
            r->eof = true; /* an interrupted read that was asked to stop ends the input */
        } else if (errno != EINTR) {
            snprintf(r->io_error, sizeof r->io_error, "read error: %s", strerror(errno));
            return 0;
        }
    }
    return r->end - r->start;
}

/* Loads the next whole block at data[start] (r->type, r->len). */
static sl_pcapng_result load_block(sl_pcapng *r)
{
    r->io_error[0] = '\0';
    size_t have = fill(r, 12);
    if (r->io_error[0])
        return fail(r, r->io_error);
    if (have == 0 && r->in_section)
        return r->failed = SL_PCAPNG_END;
    if (have < 12)
        return fail(r, r->in_section ? "truncated block header" : "truncated section header");
    const uint8_t *b = r->data + r->start;
    if (sl_pcapng_magic(b)) {
        /* A section states its own byte order, in the magic after the length. */
        if (b[8] == 0x1A && b[9] == 0x2B && b[10] == 0x3C && b[11] == 0x4D)
            r->big_endian = true;
        else if (b[8] == 0x4D && b[9] == 0x3C && b[10] == 0x2B && b[11] == 0x1A)
            r->big_endian = false;
        else
            return fail(r, "section header with a bad byte-order magic");
    } else if (!r->in_section) {
        return fail(r, "not a pcapng file: no section header");
    }
    r->type = get32(r, b);
    r->len = get32(r, b + 4);
    if (r->len < 12 || r->len % 4 != 0) {
        char what[80];
        snprintf(what, sizeof what, "bad block length %u", r->len);
        return fail(r, what);
    }
    if (r->len > SL_PCAPNG_MAX_BLOCK) {
        char what[80];
        snprintf(what, sizeof what, "block of %u bytes (the limit is %u)", r->len,
                 SL_PCAPNG_MAX_BLOCK);
        return fail(r, what);
    }
    have = fill(r, r->len);
    if (r->io_error[0])
        return fail(r, r->io_error);
    if (have < r->len) {
        char what[80];
        snprintf(what, sizeof what, "truncated block (%zu of %u bytes)", have, r->len);
        return fail(r, what);
    }
    b = r->data + r->start;
    if (get32(r, b + r->len - 4) != r->len)
        return fail(r, "block whose trailing length differs from its leading length");
    return SL_PCAPNG_PACKET;
}

static sl_pcapng_result section_header(sl_pcapng *r, const uint8_t *body, uint32_t len)
{
    if (len < 16) /* magic, version, section length */
        return fail(r, "section header too short");
    uint16_t major = get16(r, body + 4), minor = get16(r, body + 6);
    if (major != 1 || minor != 0) {
        char what[80];
        snprintf(what, sizeof what, "pcapng version %u.%u (only 1.0 is read)", major, minor);
        return fail(r, what);
    }
    r->in_section = true;
    r->n_ifaces = 0;
    return SL_PCAPNG_PACKET;
}

/* if_tsresol and if_tsoffset; the other options are not used. */
static sl_pcapng_result interface_options(sl_pcapng *r, const uint8_t *p, uint32_t len, iface *ifc)
{
    while (len >= 4) {
        uint16_t code = get16(r, p), olen = get16(r, p + 2);
        if (code == OPT_END)
            break;
        uint32_t padded = ((uint32_t)olen + 3) & ~3u;
        if (padded > len - 4)
            return fail(r, "interface description with an option past its end");
        if (code == OPT_IF_TSRESOL) {
            if (olen != 1)
                return fail(r, "interface description with an if_tsresol not of 1 byte");
            ifc->tsresol = p[4];
        } else if (code == OPT_IF_TSOFFSET) {
            if (olen != 8)
                return fail(r, "interface description with an if_tsoffset not of 8 bytes");
            uint64_t a = get32(r, p + 4), b = get32(r, p + 8);
            ifc->tsoffset = (int64_t)(r->big_endian ? a << 32 | b : b << 32 | a);
        }
        p += 4 + padded;
        len -= 4 + padded;
    }
    return SL_PCAPNG_PACKET;
}

static sl_pcapng_result interface_description(sl_pcapng *r, const uint8_t *body, uint32_t len)
{
    if (len < 8)
        return fail(r, "interface description too short");
    if (r->n_ifaces == SL_PCAPNG_MAX_INTERFACES)
        return fail(r, "more interfaces in one section than the limit of 4096");
    iface ifc = {
        .linktype = get16(r, body), .snaplen = get32(r, body + 4), .tsresol = DEFAULT_TSRESOL};
    if (interface_options(r, body + 8, len - 8, &ifc) != SL_PCAPNG_PACKET)
        return SL_PCAPNG_ERROR;
    if (r->n_ifaces == r->cap_ifaces) {
        uint32_t cap = r->cap_ifaces ? r->cap_ifaces * 2 : 8;
        iface *grown = realloc(r->ifaces, cap * sizeof *grown);
        if (!grown)
            return fail(r, "out of memory for an interface description");
        r->ifaces = grown;
        r->cap_ifaces = cap;
    }
    r->ifaces[r->n_ifaces++] = ifc;
    return SL_PCAPNG_PACKET;
}

/* Processes blocks up to the next packet block, which stays loaded. */
static sl_pcapng_result advance(sl_pcapng *r)
{
    if (r->loaded || r->failed != SL_PCAPNG_PACKET)
        return r->loaded ? SL_PCAPNG_PACKET : r->failed;
    for (;;) {
        sl_pcapng_result res = load_block(r);
        if (res != SL_PCAPNG_PACKET)
            return res;
        const uint8_t *body = r->data + r->start + 8;
        uint32_t len = r->len - 12;
        if (r->type == BLOCK_EPB || r->type == BLOCK_SPB || r->type == BLOCK_PACKET) {
            r->loaded = true;
            return SL_PCAPNG_PACKET;
        }
        if (r->type == BLOCK_SHB)
            res = section_header(r, body, len);
        else if (r->type == BLOCK_IDB)
            res = interface_description(r, body, len);
        if (res != SL_PCAPNG_PACKET)
            return res;
        r->start += r->len; /* every other block type is skipped whole */
    }
}

uint32_t sl_pcapng_interfaces(sl_pcapng *r)
{
    if (!r->started)
        advance(r);
    return r->n_ifaces;
}

uint16_t sl_pcapng_linktype(const sl_pcapng *r, uint32_t interface)
{
    return interface < r->n_ifaces ? r->ifaces[interface].linktype : 0;
}

/* Nanoseconds since the epoch for `units` of 10^-n or 2^-n seconds plus an
 * offset in seconds, exactly (rounded down), saturated to sl_time's range. */
static sl_time to_ns(uint64_t units, uint8_t tsresol, int64_t tsoffset)
{
    __extension__ typedef unsigned __int128 u128;
    __extension__ typedef __int128 s128;
    static const uint64_t pow10[20] = {1,
                                       10,
                                       100,
                                       1000,
                                       10000,
                                       100000,
                                       1000000,
                                       10000000,
                                       100000000,
                                       1000000000,
                                       10000000000,
                                       100000000000,
                                       1000000000000,
                                       10000000000000,
                                       100000000000000,
                                       1000000000000000,
                                       10000000000000000,
                                       100000000000000000,
                                       1000000000000000000,
                                       10000000000000000000u};
    unsigned n = tsresol & 0x7F;
    u128 ns;
    if (tsresol & 0x80)
        ns = ((u128)units * 1000000000u) >> n;
    else if (n <= 9)
        ns = (u128)units * pow10[9 - n];
    else
        ns = n - 9 < 20 ? units / pow10[n - 9] : 0;
    s128 t = (s128)ns + (s128)tsoffset * 1000000000;
    if (t > INT64_MAX)
        return INT64_MAX;
    return t < INT64_MIN ? INT64_MIN : (sl_time)t;
}

/* Fills pkt from the loaded packet block. */
static sl_pcapng_result packet(sl_pcapng *r, sl_pcapng_packet *pkt)
{
    const uint8_t *body = r->data + r->start + 8;
    uint32_t len = r->len - 12, hdr, id, caplen;
    uint64_t units = 0;
    if (r->type == BLOCK_SPB) {
        hdr = 4;
        if (len < hdr)
            return fail(r, "simple packet block too short");
        id = 0;
        pkt->wirelen = get32(r, body);
        caplen = pkt->wirelen < len - hdr ? pkt->wirelen : len - hdr;
        /* the snap length comes from the file's interface block */
        // cppcheck-suppress knownConditionTrueFalse
        if (r->n_ifaces > 0 && r->ifaces[0].snaplen && r->ifaces[0].snaplen < caplen)
            caplen = r->ifaces[0].snaplen;
    } else {
        hdr = 20;
        if (len < hdr)
            return fail(r, "packet block too short");
        /* The obsolete Packet Block has a 16-bit interface and a drop count. */
        id = r->type == BLOCK_EPB ? get32(r, body) : get16(r, body);
        units = (uint64_t)get32(r, body + 4) << 32 | get32(r, body + 8);
        caplen = get32(r, body + 12);
        pkt->wirelen = get32(r, body + 16);
        if (caplen > len - hdr)
            return fail(r, "packet whose captured length exceeds its block");
    }
    if (id >= r->n_ifaces) {
        char what[96];
        snprintf(what, sizeof what, "packet for interface %u of a section that describes %u", id,
                 r->n_ifaces);
        return fail(r, what);
    }
    const iface *ifc = &r->ifaces[id];
    if (r->type != BLOCK_SPB)
        r->last_ts = to_ns(units, ifc->tsresol, ifc->tsoffset);
    pkt->ts = r->last_ts;
    pkt->data = body + hdr;
    pkt->caplen = caplen;
    pkt->interface = id;
    pkt->linktype = ifc->linktype;
    return SL_PCAPNG_PACKET;
}

sl_pcapng_result sl_pcapng_next(sl_pcapng *r, sl_pcapng_packet *pkt)
{
    r->started = true;
    sl_pcapng_result res = advance(r);
    if (res != SL_PCAPNG_PACKET)
        return res;
    r->loaded = false;
    res = packet(r, pkt);
    if (res == SL_PCAPNG_PACKET)
        r->start += r->len; /* the data stays in the buffer until the next read */
    return res;
}
