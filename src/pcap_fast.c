/* Classic pcap records from our own buffer: see pcap_fast.h. */
#include "pcap_fast.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Records up to libpcap's largest snapshot for these link types fit whole. */
#define MAX_CAPLEN 262144u
#define REC_HDR 16u
#define BUF_SIZE ((size_t)512 << 10)

struct sl_pcap_fast {
    FILE *f;
    int fd;       /* f's, read with pread: no copy through f's buffer */
    int64_t base; /* stream offset of buf[0] */
    size_t len, pos;
    uint32_t snaplen;
    bool usec; /* microsecond stamps, scaled up as libpcap does */
    bool eof;
    uint8_t buf[];
};

/* Link types whose records libpcap hands over as they are in the file. */
static bool plain_dlt(int dlt)
{
    switch (dlt) {
    case DLT_NULL:
    case DLT_EN10MB:
    case DLT_RAW:
    case DLT_LOOP:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_IPV4:
    case DLT_IPV6: return true;
    default: return false;
    }
}

sl_pcap_fast *sl_pcap_fast_open(pcap_t *p, const uint8_t head[4])
{
    uint32_t magic;
    memcpy(&magic, head, 4);
    FILE *f = pcap_file(p);
    if ((magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) || pcap_is_swapped(p) ||
        pcap_major_version(p) != 2 || pcap_minor_version(p) != 4 || !plain_dlt(pcap_datalink(p)) ||
        pcap_snapshot(p) <= 0 || !f)
        return NULL;
    int fd = fileno(f);
    off_t at = fd >= 0 ? ftello(f) : -1;
    if (at < 0 || fseeko(f, at, SEEK_SET) != 0) /* a pipe: no going back */
        return NULL;
    sl_pcap_fast *r = malloc(sizeof *r + BUF_SIZE);
    if (!r)
        return NULL;
    *r = (sl_pcap_fast){.f = f,
                        .fd = fd,
                        .base = (int64_t)at,
                        .snaplen = (uint32_t)pcap_snapshot(p),
                        .usec = magic == 0xa1b2c3d4u};
    return r;
}

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Keeps the unread bytes, reads more after them. */
static void refill(sl_pcap_fast *r)
{
    size_t keep = r->len - r->pos;
    memmove(r->buf, r->buf + r->pos, keep);
    r->base += (int64_t)r->pos;
    r->pos = 0;
    r->len = keep;
    ssize_t n;
    do
        n = pread(r->fd, r->buf + keep, BUF_SIZE - keep, (off_t)(r->base + (int64_t)keep));
    while (n < 0 && errno == EINTR);
    if (n <= 0) /* the end, or an error libpcap will meet and report */
        r->eof = true;
    else
        r->len += (size_t)n;
}

bool sl_pcap_fast_next(sl_pcap_fast *r, struct pcap_pkthdr *h, const uint8_t **data)
{
    for (;;) {
        size_t avail = r->len - r->pos;
        if (avail >= REC_HDR) {
            const uint8_t *rec = r->buf + r->pos;
            uint32_t caplen = u32_at(rec + 8);
            /* over the snapshot: libpcap cuts it or reports it */
            if (caplen > r->snaplen || caplen > MAX_CAPLEN)
                return false;
            if (avail - REC_HDR >= caplen) {
                int32_t sec, sub;
                memcpy(&sec, rec, 4);
                memcpy(&sub, rec + 4, 4);
                h->ts.tv_sec = sec;
                h->ts.tv_usec = r->usec ? (suseconds_t)sub * 1000 : sub;
                h->caplen = caplen;
                h->len = u32_at(rec + 12);
                *data = rec + REC_HDR;
                r->pos += REC_HDR + caplen;
                return true;
            }
        }
        if (r->eof) /* the end, clean or truncated: libpcap says which */
            return false;
        refill(r);
    }
}

int64_t sl_pcap_fast_offset(const sl_pcap_fast *r)
{
    return r->base + (int64_t)r->pos;
}

bool sl_pcap_fast_close(sl_pcap_fast *r)
{
    if (!r)
        return true;
    bool ok = fseeko(r->f, (off_t)sl_pcap_fast_offset(r), SEEK_SET) == 0;
    free(r);
    return ok;
}
