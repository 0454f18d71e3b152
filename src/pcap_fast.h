/* Records of a classic pcap file read from our own buffer rather than by
 * pcap_next_ex (two freads and a copy a packet). Only the plain case: native
 * byte order, version 2.4, a link type libpcap hands over untouched, and a
 * seekable stream. Whatever else a record holds (caplen over the snapshot,
 * a truncated end) goes back to libpcap, the stream positioned at that record,
 * so errors and their wording stay libpcap's. Internal to src/. */
#ifndef SIPSLEUTH_SRC_PCAP_FAST_H
#define SIPSLEUTH_SRC_PCAP_FAST_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sl_pcap_fast sl_pcap_fast;

/* For p, just opened from a file starting with head; NULL when its records
 * must go through libpcap (or out of memory). */
sl_pcap_fast *sl_pcap_fast_open(pcap_t *p, const uint8_t head[4]);

/* true: the next record, its header as pcap_next_ex gives it, its bytes valid
 * until the next call. false: from here on libpcap reads; call
 * sl_pcap_fast_close, which positions the stream. */
bool sl_pcap_fast_next(sl_pcap_fast *r, struct pcap_pkthdr *h, const uint8_t **data);

/* The stream offset just past the last record returned. */
int64_t sl_pcap_fast_offset(const sl_pcap_fast *r);

/* Puts the stream at the first record not returned and frees r. false when
 * the stream could not be positioned (libpcap then reads from wherever). */
bool sl_pcap_fast_close(sl_pcap_fast *r);

#endif
