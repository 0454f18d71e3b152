/* TCP stream reassembly and SIP framing.
 *
 * Connections are tracked by their 4-tuple; each direction is reassembled on
 * its own: bytes are delivered in sequence order (serial-number arithmetic,
 * so the ISN may sit anywhere, wraparound included), out-of-order segments
 * are held until the hole before them fills, and bytes already delivered or
 * already held are ignored (first data wins, as for IP fragments). A capture
 * that starts mid-connection starts each direction at its first segment.
 *
 * The in-order bytes are cut into SIP messages by Content-Length
 * (sl_sip_parse with SL_SIP_STREAM); CRLF keep-alives are skipped. A message
 * that lies within one in-order segment is delivered as a slice of that
 * packet; only a message spanning segments is copied into the direction's
 * buffer. SIP over WebSocket (RFC 7118) is recognised by its HTTP Upgrade
 * and each WebSocket message is delivered as one SIP message. With on_hep, a
 * direction whose first bytes are "HEP3" carries HEPv3 packets (a HEP agent
 * to its collector): each is framed by its length and handed to on_hep.
 *
 * Losses never stall a stream: a hole that is still open when the held
 * out-of-order data passes its bound, `reorder_window` after the peer
 * acknowledged past it (a span port may deliver a segment after its ACK), or
 * at FIN, RST, idle timeout, eviction or destroy, is skipped ("tcp_gap"); after a gap, or after
 * bytes that do not parse, the direction re-synchronises at the next line that starts like a SIP
 * message. A direction whose first bytes are not SIP and hold no SIP start line within
 * `probe_limit` bytes is marked not-SIP and its data is dropped (counted). Per-direction and global
 * caps bound memory; when over a cap the least recently active connection is evicted
 * ("tcp_stream_evicted").
 *
 * Bytes a segment carried past the capture's snap length (sl_tcp_info.cut)
 * are no hole: the message they belong to is reported truncated
 * (on_truncated) and framing goes on after them, in step when the message's
 * Content-Length was read, else at the next SIP start line.
 *
 * Every message delivered is exactly one SIP message: parse it with
 * SL_SIP_DATAGRAM (on_hep: one whole HEPv3 packet, its chunks unchecked).
 * Its timestamp is that of the segment that completed it.
 * Not thread-safe; the callbacks must not call back into the table. */
#ifndef SIPSLEUTH_TCP_STREAM_H
#define SIPSLEUTH_TCP_STREAM_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/event.h"
#include "sipsleuth/frames.h"
#include "sipsleuth/packet.h"
#include "sipsleuth/sip.h"
#include "sipsleuth/sltime.h"

typedef struct sl_tcp_config {
    size_t max_streams;      /* connections tracked; default 16384 */
    size_t max_bytes;        /* all memory of the table; default 64 MiB */
    size_t max_message;      /* one unfinished message per direction; default 256 KiB */
    size_t max_ooo_bytes;    /* out-of-order bytes held per direction; default 256 KiB */
    size_t max_ooo_segments; /* out-of-order segments held per direction; default 256 */
    size_t probe_limit;      /* bytes searched for a first SIP start line; default 16 KiB */
    sl_time idle_timeout;    /* capture time without a segment; default 300 s */
    sl_time reorder_window;  /* capture time a hole is still waited for once the peer
                                acknowledged past it; default 1 s */
    uint64_t seed;           /* hash seed; default 0 (set a random one against floods) */
    sl_frames *frames;       /* --extract: set to the frames of each message just before it
                                is delivered (NULL: off); see src/tcp_prov.c */
} sl_tcp_config;

typedef struct sl_tcp_callbacks {
    /* One complete SIP message; msg is valid during the call only. flow is the
     * direction it travelled in (proto TCP; outer set when a packet of this
     * connection caused the delivery, else NULL). */
    void (*on_message)(void *user, const uint8_t *msg, size_t len, sl_time ts, const sl_flow *flow);
    /* kind: SL_ANOM_TCP_GAP, ...; detail: text valid during the call. */
    void (*on_anomaly)(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail);
    void *user;
    /* Optional: a SIP message as the table parsed it to frame it, with
     * `headers` (max_headers slots, the caller's) as its header array, so
     * that it need not be parsed twice; it then replaces on_message for
     * SIP-over-TCP messages (WebSocket messages still go to on_message).
     * msg is the same as sl_sip_parse() of data[0..msg->length) as a
     * datagram would give. */
    void (*on_sip)(void *user, const sl_sip_msg *msg, const uint8_t *data, sl_time ts,
                   const sl_flow *flow);
    sl_sip_header *headers;
    size_t max_headers;
    /* Optional: a message the capture's snap length cut short: data[0..len)
     * are its captured bytes (len may be 0), `lost` bytes of the stream after
     * them were not captured. Without it, an anomaly "truncated_message". */
    void (*on_truncated)(void *user, const uint8_t *data, size_t len, size_t lost, sl_time ts,
                         const sl_flow *flow);
    /* Optional: one HEPv3 packet of a HEP stream, hep[0..len) ("HEP3", its
     * length field equal to len, at most max_message); flow is the agent's
     * connection to the collector. Without it HEP streams are not SIP. */
    void (*on_hep)(void *user, const uint8_t *hep, size_t len, sl_time ts, const sl_flow *flow);
} sl_tcp_callbacks;

typedef struct sl_tcp_stats {
    uint64_t segments;        /* segments offered */
    uint64_t streams;         /* connections created */
    uint64_t closed;          /* connections closed by FIN or RST */
    uint64_t timeouts;        /* connections closed by the idle timeout */
    uint64_t evictions;       /* connections evicted by a cap */
    uint64_t gaps;            /* holes skipped */
    uint64_t messages;        /* SIP messages delivered, WebSocket included */
    uint64_t ws_messages;     /* of which over WebSocket */
    uint64_t invalid;         /* unparsable data in a SIP stream (re-synchronised) */
    uint64_t too_large;       /* messages dropped for the per-direction cap */
    uint64_t truncated;       /* messages cut short by the snap length (reported) */
    uint64_t retransmitted;   /* bytes seen before (retransmissions, overlaps) */
    uint64_t skipped;         /* bytes dropped while searching for a start line */
    uint64_t not_sip_streams; /* directions found not to carry SIP */
    uint64_t not_sip_bytes;   /* bytes dropped in them */
    size_t open;              /* connections now */
    size_t buffered;          /* bytes held now: unfinished messages + out of order */
} sl_tcp_stats;

typedef struct sl_tcp_table sl_tcp_table;

/* The defaults listed above. */
void sl_tcp_config_default(sl_tcp_config *cfg);

/* cfg NULL = defaults; callbacks may be NULL. NULL on allocation failure. */
sl_tcp_table *sl_tcp_new(const sl_tcp_config *cfg, const sl_tcp_callbacks *cb);

/* One TCP segment: pkt->src/dst/sport/dport, pkt->tcp and pkt->payload. */
void sl_tcp_segment(sl_tcp_table *t, const sl_packet *pkt, sl_time ts);

/* Closes the connections idle for idle_timeout or longer. Cheap when nothing
 * is due: it may be called for every packet. */
void sl_tcp_expire(sl_tcp_table *t, sl_time now);

/* End of input: flushes every connection (skipping holes, delivering what
 * can be, reporting unfinished messages) and closes it. The table stays
 * usable, and empty. */
void sl_tcp_flush(sl_tcp_table *t);

/* Flushes, then frees the table. */
void sl_tcp_destroy(sl_tcp_table *t);

void sl_tcp_get_stats(const sl_tcp_table *t, sl_tcp_stats *out);
/* Bytes allocated by the table now (structures, buffers, held segments). */
size_t sl_tcp_memory(const sl_tcp_table *t);

#endif
