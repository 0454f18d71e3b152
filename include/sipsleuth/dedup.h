/* Duplicate suppression (--dedup): a span or mirror port often delivers each
 * packet twice, on ingress and on egress. A packet whose IP content was seen
 * within `window` of capture time is a duplicate and should be dropped.
 *
 * What is compared: the IP packet without the fields a router rewrites (TTL /
 * hop limit, IPv4 header checksum). From a decoded packet that is the IP
 * version, addresses, protocol, fragment fields and the whole IP payload
 * (which includes the L4 header, so TCP sequence numbers and checksums tell
 * real retransmissions apart); from raw IP bytes, every byte but those fields.
 * A 64-bit hash stands for the bytes.
 *
 * The table is a fixed array (entries x 16 bytes, allocated once): it never
 * grows; when it is crowded an old entry is overwritten, so a flood can only
 * make it miss duplicates, never use more memory. */
#ifndef SIPSLEUTH_DEDUP_H
#define SIPSLEUTH_DEDUP_H

#include "sipsleuth/packet.h"
#include "sipsleuth/sltime.h"

typedef struct sl_dedup_config {
    sl_time window; /* default 50 ms */
    size_t entries; /* hash slots, rounded up to a power of two; default 16384 */
    uint64_t seed;  /* hash seed; default 0 */
} sl_dedup_config;

typedef struct sl_dedup_stats {
    uint64_t checked;    /* packets looked at */
    uint64_t duplicates; /* of which duplicates */
    uint64_t overwrites; /* live entries overwritten because the table was crowded */
} sl_dedup_stats;

typedef struct sl_dedup sl_dedup;

void sl_dedup_config_default(sl_dedup_config *cfg);
/* cfg NULL = defaults. NULL on allocation failure. */
sl_dedup *sl_dedup_new(const sl_dedup_config *cfg);
void sl_dedup_free(sl_dedup *d);

/* True when this decoded packet duplicates one seen within the window. */
bool sl_dedup_packet(sl_dedup *d, const sl_packet *pkt, sl_time ts);
/* The same for raw IP bytes (IPv4 or IPv6 header first). */
bool sl_dedup_l3(sl_dedup *d, const uint8_t *ip, size_t len, sl_time ts);

void sl_dedup_get_stats(const sl_dedup *d, sl_dedup_stats *out);
/* Bytes allocated (fixed after sl_dedup_new). */
size_t sl_dedup_memory(const sl_dedup *d);

#endif
