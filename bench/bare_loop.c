/* The floor for scripts/bench: read a capture with libpcap's pcap_next_ex and
 * touch nothing but the record headers — what any pcap-based analyzer pays
 * before doing any work. Prints "packets bytes".
 *   bare_loop FILE             libpcap as it comes (its stdio buffer: one page)
 *   bare_loop --buffer N FILE  the FILE given an N-byte stdio buffer first, as
 *                              sipsleuth gives its own (src/capture.c) */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    size_t buffer = 0;
    if (argc == 4 && strcmp(argv[1], "--buffer") == 0) {
        buffer = strtoul(argv[2], NULL, 10);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s [--buffer BYTES] FILE\n", argv[0]);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p;
    if (buffer) {
        FILE *f = fopen(argv[1], "rb");
        if (!f || setvbuf(f, NULL, _IOFBF, buffer) != 0) {
            perror(argv[1]);
            return 1;
        }
        p = pcap_fopen_offline(f, err);
    } else {
        p = pcap_open_offline(argv[1], err);
    }
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        sum += data[h->caplen ? h->caplen - 1 : 0]; /* one byte per packet, so the data is read */
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "%s\n", pcap_geterr(p));
        return 1;
    }
    pcap_close(p);
    printf("%llu %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes,
           (unsigned long long)(sum & 0xff));
    return 0;
}
