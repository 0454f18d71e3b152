/* Differential fuzz target for the classic pcap fast path (src/pcap_fast.c):
 * the input is a whole capture file, read once by libpcap alone and once by
 * the fast path with libpcap taking over where it gives up. Every record,
 * the stream offset after it, and how the read ends (the error text too)
 * must be the same. */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/pcap_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A seekable file holding the input, as a capture on disk is. */
static FILE *file_of(const uint8_t *data, size_t size)
{
    int fd = memfd_create("capture", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    FILE *f = fdopen(fd, "rb");
    if (!f)
        abort();
    return f;
}

static pcap_t *open_capture(FILE *f)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p)
        fclose(f);
    return p;
}

/* The fast path's next record, or libpcap's once it has given up. */
static int next_b(pcap_t *b, sl_pcap_fast **fast, struct pcap_pkthdr *h, const u_char **d)
{
    if (*fast && sl_pcap_fast_next(*fast, h, d))
        return 1;
    if (*fast) {
        if (!sl_pcap_fast_close(*fast))
            abort();
        *fast = NULL;
    }
    struct pcap_pkthdr *ph;
    int rc = pcap_next_ex(b, &ph, d);
    if (rc == 1)
        *h = *ph;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    pcap_t *a = open_capture(file_of(data, size));
    pcap_t *b = open_capture(file_of(data, size));
    if (!a != !b)
        abort();
    if (!a)
        return 0;
    sl_pcap_fast *fast = sl_pcap_fast_open(b, data);
    for (;;) {
        struct pcap_pkthdr *ha, hb;
        const u_char *da, *db;
        int ra = pcap_next_ex(a, &ha, &da);
        int rb = next_b(b, &fast, &hb, &db);
        if (ra != rb)
            abort();
        if (ra != 1) {
            if (ra == PCAP_ERROR && strcmp(pcap_geterr(a), pcap_geterr(b)) != 0)
                abort();
            break;
        }
        if (ha->ts.tv_sec != hb.ts.tv_sec || ha->ts.tv_usec != hb.ts.tv_usec ||
            ha->caplen != hb.caplen || ha->len != hb.len || memcmp(da, db, ha->caplen) != 0)
            abort();
        if (fast && sl_pcap_fast_offset(fast) != (int64_t)ftello(pcap_file(a)))
            abort();
    }
    (void)sl_pcap_fast_close(fast);
    pcap_close(a);
    pcap_close(b);
    return 0;
}
