/* SCTP associations: user messages out of DATA and I-DATA chunks.
 *
 * An association is tracked by its address pair and ports (both directions
 * in one entry; direction 0 sent the first packet seen). Per direction:
 *  - duplicate TSNs (retransmissions, a span port's second copy) are
 *    recognised within a window of the 1024 TSNs up to the highest seen,
 *    and dropped; an older TSN counts as a duplicate too, unless it is more
 *    than 65536 behind, which starts the window again (a restart not seen);
 *  - a user message in one chunk (B and E set) is delivered in place, from
 *    the packet; a fragmented one is held fragment by fragment and delivered
 *    when B..E are all present: DATA fragments have consecutive TSNs on one
 *    stream, I-DATA ones (RFC 8260) the same stream and MID and consecutive
 *    FSNs, so interleaved messages come apart. A message longer than
 *    max_message is dropped (`sctp_message_too_large`); fragments that can
 *    no longer complete (more than the window behind, or over the 1024
 *    fragments held per direction) are dropped (`sctp_reassembly_gap`).
 * Messages are delivered as they complete, ordered or not (U): they are not
 * re-sequenced by stream sequence number, as a capture sees them in order.
 * Every delivery is exactly one SIP message candidate (RFC 4168: one SIP
 * message per user message); the PPID is not filtered on.
 *
 * INIT or INIT ACK starts a direction again; ABORT and SHUTDOWN COMPLETE
 * end the association after the packet's chunks. Associations idle for
 * idle_timeout (capture time) are closed. Over max_assocs or max_bytes the
 * least recently active association is evicted (`sctp_assoc_evicted`,
 * reported when it held fragments). Not thread-safe; the callbacks must not
 * call back into the table. */
#ifndef SIPSLEUTH_SCTP_ASSOC_H
#define SIPSLEUTH_SCTP_ASSOC_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/event.h"
#include "sipsleuth/frames.h"
#include "sipsleuth/packet.h"
#include "sipsleuth/sltime.h"

typedef struct sl_sctp_config {
    size_t max_assocs;    /* associations tracked; default 16384 */
    size_t max_bytes;     /* all memory of the table; default 32 MiB */
    size_t max_message;   /* bytes of one user message; default 256 KiB */
    sl_time idle_timeout; /* capture time without a packet; default 300 s */
    uint64_t seed;        /* hash seed */
    sl_frames *frames;    /* --extract: the frames of each reassembled message (NULL: off) */
} sl_sctp_config;

typedef struct sl_sctp_callbacks {
    /* One complete user message; data is valid during the call only. flow:
     * its direction (proto SCTP; outer set when a packet caused it). */
    void (*on_message)(void *user, const uint8_t *data, size_t len, sl_time ts, const sl_flow *flow,
                       bool truncated);
    /* detail: text valid during the call (may be NULL). */
    void (*on_anomaly)(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail);
    void *user;
} sl_sctp_callbacks;

typedef struct sl_sctp_stats {
    uint64_t packets;           /* SCTP packets offered */
    uint64_t associations;      /* created */
    uint64_t closed;            /* by ABORT or SHUTDOWN COMPLETE */
    uint64_t timeouts;          /* closed by the idle timeout */
    uint64_t evictions;         /* evicted by a cap */
    uint64_t chunks;            /* chunks walked */
    uint64_t data_chunks;       /* DATA and I-DATA chunks */
    uint64_t duplicates;        /* DATA/I-DATA chunks dropped as seen before */
    uint64_t messages;          /* user messages delivered */
    uint64_t reassembled;       /* of which from several fragments */
    uint64_t too_large;         /* messages dropped for max_message */
    uint64_t dropped_fragments; /* fragments that could not complete a message */
    uint64_t bad_chunks;        /* malformed chunks (the rest of that packet is skipped) */
    size_t open;                /* associations now */
    size_t buffered;            /* fragment bytes held now */
} sl_sctp_stats;

typedef struct sl_sctp_table sl_sctp_table;

void sl_sctp_config_default(sl_sctp_config *cfg);
/* cfg NULL = defaults. NULL on allocation failure. */
sl_sctp_table *sl_sctp_new(const sl_sctp_config *cfg, const sl_sctp_callbacks *cb);
/* One SCTP packet as decoded: pkt->src/dst/sport/dport, pkt->payload (the
 * chunks) and pkt->truncated. */
void sl_sctp_packet(sl_sctp_table *t, const sl_packet *pkt, sl_time ts);
/* Closes associations idle for idle_timeout or longer; cheap when none is due. */
void sl_sctp_expire(sl_sctp_table *t, sl_time now);
/* End of input: drops every association (unfinished messages are reported). */
void sl_sctp_flush(sl_sctp_table *t);
void sl_sctp_destroy(sl_sctp_table *t);
void sl_sctp_get_stats(const sl_sctp_table *t, sl_sctp_stats *out);
size_t sl_sctp_memory(const sl_sctp_table *t);

#endif
