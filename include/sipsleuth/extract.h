/* --extract: which captured frames carried each call's SIP messages (pass
 * 1, during the analysis), then those frames copied from a second read of
 * the input files into pcap files (pass 2, extract_write.c).
 *
 * A frame belongs to a call when it carried bytes of one of its messages:
 * the UDP datagram (HEP, GTP-U and other encapsulations included), every IP
 * fragment whose bytes the reassembled datagram used, every TCP segment whose
 * bytes the stream used (a retransmitted copy, whose bytes were already
 * there, is not included: first data wins, as in the reassembly), every SCTP
 * packet holding a chunk of it. A frame carrying bytes of several calls is
 * in each call's file. Over TLS a message is attributed to the frames that
 * completed each TLS record holding it. See README ("One call as a pcap"). */
#ifndef SIPSLEUTH_EXTRACT_H
#define SIPSLEUTH_EXTRACT_H

#include "sipsleuth/frames.h"

#include <stddef.h>

struct sl_sip_ctx;
typedef struct sl_extract sl_extract;

/* Calls recorded by --extract-dir (more are counted, not written), and
 * output files open at once (more calls: the input is read again per batch). */
#define SL_EXTRACT_MAX_CALLS 10000
#define SL_EXTRACT_OPEN_FILES 256
/* Frame numbers recorded over all calls (8 bytes each): more are dropped. */
#define SL_EXTRACT_MAX_RECORDS (16u << 20)

/* Records the calls named in ids[0..n) (not copied: they must outlive it),
 * or with n == 0 every call, up to SL_EXTRACT_MAX_CALLS. NULL: no memory. */
sl_extract *sl_extract_new(const char *const *ids, size_t n);
void sl_extract_free(sl_extract *x);

/* The list the reassembly layers fill (their configs' `frames`). */
sl_frames *sl_extract_frames(sl_extract *x);
/* Frame `no` begins (0: the input ended): a message delivered now came in
 * it alone unless a reassembly layer says otherwise. Returns no. x may be NULL. */
uint64_t sl_extract_frame(sl_extract *x, uint64_t no);
/* A dissected message: its frames are recorded for its Call-ID. x may be NULL. */
void sl_extract_message(sl_extract *x, const struct sl_sip_ctx *ctx);

/* Pass 2. Where the frames go: `file` (all the calls in one) or `dir` (one
 * file per call), exactly one of them. */
typedef struct sl_extract_out {
    const char *file;
    const char *dir;
} sl_extract_out;

/* Before any packet is read: -w FILE is created (truncated), --extract-dir
 * DIR created if missing; both must be writable. False with err set. */
bool sl_extract_prepare(const sl_extract_out *out, char *err, size_t errlen);
/* Reads files[0..n) again (with the same BPF filter, so frame numbers match
 * pass 1) and writes the recorded frames, in pcap files of the input's link
 * type (the frames of one file must share one) with nanosecond timestamps.
 * --extract-dir also writes DIR/index.tsv (file, frames, Call-ID). Returns
 * 0, or 1 after a line on stderr (a -w file is then removed). Notes (calls
 * not found, bounds reached) go to stderr. */
int sl_extract_write(const sl_extract *x, const sl_extract_out *out, const char *const *files,
                     int n, const char *filter);

#endif
