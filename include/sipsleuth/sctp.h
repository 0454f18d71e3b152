/* SCTP (RFC 9260) as far as SIP over SCTP (RFC 4168) needs it: the common
 * header, a walk over the chunks of one packet, and the fields of DATA and
 * I-DATA (RFC 8260) chunks. Pure: bytes in, slices out; no allocation.
 *
 * The CRC32c checksum is not verified: span ports and local captures see
 * packets before the NIC fills it in (checksum offload), so a wrong value is
 * the normal case there, and tshark does not check it by default either. */
#ifndef SIPSLEUTH_SCTP_H
#define SIPSLEUTH_SCTP_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/slice.h"
#include "sipsleuth/status.h"

enum { SL_SCTP_HEADER_LEN = 12 };

/* Chunk types sipsleuth acts on; every other type is walked over. */
enum {
    SL_SCTP_DATA = 0,
    SL_SCTP_INIT = 1,
    SL_SCTP_INIT_ACK = 2,
    SL_SCTP_SACK = 3,
    SL_SCTP_ABORT = 6,
    SL_SCTP_SHUTDOWN_COMPLETE = 14,
    SL_SCTP_IDATA = 64,
};

/* DATA and I-DATA chunk flags. */
enum { SL_SCTP_FLAG_E = 0x01, SL_SCTP_FLAG_B = 0x02, SL_SCTP_FLAG_U = 0x04 };

/* The chunk walk over one packet's chunks (what follows the common header). */
typedef struct sl_sctp_iter {
    sl_slice data; /* the chunks as captured */
    size_t stated; /* their length as IP states it (>= data.len when cut) */
    size_t off;    /* next chunk, from the start of data */
    bool done;     /* no further chunk: the end, or a malformed/cut one */
} sl_sctp_iter;

typedef struct sl_sctp_chunk {
    uint8_t type, flags;
    uint16_t length; /* as stated: header and value, without padding */
    size_t offset;   /* of the chunk from the start of the SCTP header */
    sl_slice value;  /* what follows the 4-byte chunk header, as captured */
    bool truncated;  /* the capture cut the value short of `length` */
} sl_sctp_chunk;

/* A DATA or I-DATA chunk's fields. For I-DATA `ssn` is the MID; `fsn` is 0
 * on a first fragment (B), whose field then carries the PPID. */
typedef struct sl_sctp_data {
    bool idata;
    bool begin, end, unordered;
    uint32_t tsn;
    uint16_t sid;
    uint32_t ssn; /* DATA: stream sequence number (16 bits); I-DATA: message id */
    uint32_t ppid;
    uint32_t fsn;
    sl_slice payload; /* user data as captured */
    bool truncated;   /* the capture cut the user data short */
} sl_sctp_data;

/* Starts a walk over `chunks` (captured bytes) whose stated length is `stated`. */
void sl_sctp_iter_init(sl_sctp_iter *it, sl_slice chunks, size_t stated);

/* The next chunk: true with *c filled, false at the end or when the next
 * chunk is malformed (an anomaly `sctp_bad_chunk_length` then, its offset
 * from the start of the SCTP header) or lies beyond what was captured. A
 * chunk cut by the capture is returned once, with `truncated`, and ends the
 * walk. The padding to a multiple of 4 bytes is skipped (missing padding
 * after the last chunk is tolerated). */
bool sl_sctp_next_chunk(sl_sctp_iter *it, sl_sctp_chunk *c, sl_anomaly *an);

/* DATA (type 0) or I-DATA (type 64) fields of a chunk the walk returned.
 * SL_INVALID with `sctp_data_too_short` (shorter than its header) or
 * `sctp_data_empty` (no user data, RFC 9260 6.2); SL_TRUNCATED when the
 * capture cut its header. */
sl_status sl_sctp_data_parse(const sl_sctp_chunk *c, sl_sctp_data *d, sl_anomaly *an);

#endif
