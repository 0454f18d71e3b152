/* IPv4 and IPv6 fragment reassembly.
 *
 * A "train" is the set of fragments of one datagram, keyed by IP version,
 * source, destination, protocol (IPv6: the fragment header's next header) and
 * identification. Fragments may arrive in any order and more than once.
 *
 * Overlap policy: first arrived bytes win (BSD/Suricata "first"). A byte
 * range already held is never overwritten; a later fragment contributes only
 * the bytes not yet held. Repeated bytes equal to what is held are counted as
 * duplicates; if they differ, an "ip_frag_overlap" anomaly is reported (the
 * classic IDS-evasion pattern) and the held bytes are kept.
 *
 * Bounds: a train lives at most `timeout` of capture time from its first
 * fragment; at most `max_trains` trains and `max_bytes` of memory in all
 * (trains, their fragments, the hash table and the output buffer); when a new
 * fragment would exceed a cap, the oldest trains are evicted. A datagram may
 * not exceed 65535 bytes including a 20-byte IPv4 header (65515 of payload),
 * or 65527 bytes of IPv6 fragmentable part (a 65535 payload length less the
 * 8-byte fragment header). Every eviction, timeout and rejected fragment is
 * reported through the anomaly callback and counted.
 *
 * Not thread-safe; the callback must not call back into the table. */
#ifndef SIPSLEUTH_DEFRAG_H
#define SIPSLEUTH_DEFRAG_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/event.h"
#include "sipsleuth/frames.h"
#include "sipsleuth/packet.h"
#include "sipsleuth/sltime.h"
#include "sipsleuth/status.h"

typedef struct sl_defrag_config {
    sl_time timeout;   /* capture time from a train's first fragment; default 30 s */
    size_t max_trains; /* default 4096 */
    size_t max_bytes;  /* all memory of the table; default 32 MiB */
    size_t max_frags;  /* stored pieces per train; default 256 */
    uint64_t seed;     /* hash seed; default 0 (set a random one against floods) */
    sl_frames *frames; /* --extract: set to the frames of each completed datagram (NULL: off) */
} sl_defrag_config;

/* An anomaly: `kind` is SL_ANOM_IP_FRAG_TIMEOUT, ..., `flow` holds
 * the addresses and IP protocol (ports 0; outer NULL when not caused by a
 * packet), `detail` a short human-readable text valid during the call. */
typedef void (*sl_defrag_anomaly_fn)(void *user, sl_anomaly_kind kind, const sl_flow *flow,
                                     sl_time ts, const char *detail);

typedef struct sl_defrag_stats {
    uint64_t fragments;  /* fragments offered */
    uint64_t datagrams;  /* datagrams completed */
    uint64_t duplicates; /* fragments that brought no new byte */
    uint64_t overlaps;   /* fragments whose repeated bytes differed from the held ones */
    uint64_t timeouts;   /* trains expired unfinished */
    uint64_t evictions;  /* trains evicted by a cap */
    uint64_t rejected;   /* fragments refused (bad length, too big, truncated...) */
    size_t trains;       /* trains open now */
    size_t bytes;        /* fragment payload bytes held now */
} sl_defrag_stats;

typedef struct sl_defrag sl_defrag;

/* The defaults listed above. */
void sl_defrag_config_default(sl_defrag_config *cfg);

/* cfg NULL = defaults. fn may be NULL. NULL on allocation failure. */
sl_defrag *sl_defrag_new(const sl_defrag_config *cfg, sl_defrag_anomaly_fn fn, void *user);

/* Offers one fragment (pkt->frag.is_fragment set, pkt->ip_payload its data).
 * SL_OK: the datagram is complete; *out is its payload (everything after the
 *        IP header of the first fragment), owned by the table and valid until
 *        the next call on it. Hand it to sl_decode_ip_payload(pkt->ip_proto).
 * SL_PARTIAL: held, more fragments needed.
 * SL_INVALID: refused (anomaly reported).
 * SL_NOMEM: the allocator failed (anomaly reported). */
sl_status sl_defrag_add(sl_defrag *d, const sl_packet *pkt, sl_time ts, sl_slice *out);

/* Expires the trains whose first fragment is older than now - timeout. Cheap
 * when nothing is due: it may be called for every packet. */
void sl_defrag_expire(sl_defrag *d, sl_time now);

/* End of input: reports every unfinished train ("ip_frag_incomplete") and
 * drops it. The table stays usable, and empty. */
void sl_defrag_flush(sl_defrag *d);

/* Flushes, then frees the table. */
void sl_defrag_destroy(sl_defrag *d);

void sl_defrag_get_stats(const sl_defrag *d, sl_defrag_stats *out);
/* Bytes allocated by the table now (structures, fragments, output buffer). */
size_t sl_defrag_memory(const sl_defrag *d);

#endif
