/* The capture boundary: files (classic pcap through libpcap, pcapng through
 * our own reader, stdin either way) and live interfaces (libpcap), delivering
 * frames with their link type and nanosecond capture time. */
#ifndef SIPSLEUTH_CAPTURE_H
#define SIPSLEUTH_CAPTURE_H

#include "sipsleuth/pipeline.h"

typedef struct sl_capture sl_capture;

typedef struct sl_live_options {
    const char *iface;
    int snaplen;     /* 0: whole packets */
    int buffer_size; /* bytes; 0: libpcap's default */
    bool promiscuous;
} sl_live_options;

/* NULL on failure, with a one-line reason in err. */
sl_capture *sl_capture_open_file(const char *path, char *err, size_t errlen);
sl_capture *sl_capture_open_live(const sl_live_options *opt, char *err, size_t errlen);
/* Applies a BPF filter; false with a reason in err. */
bool sl_capture_set_filter(sl_capture *c, const char *bpf, char *err, size_t errlen);
/* The libpcap DLT_ value of every frame, or -1 when each frame has its own
 * (pcapng: a link type per interface, see sl_frame.dlt). */
int sl_capture_datalink(const sl_capture *c);
const char *sl_capture_name(const sl_capture *c);
/* The snap length of a classic pcap file or an interface; 262144 for pcapng. */
int sl_capture_snaplen(const sl_capture *c);
/* Bytes of a capture file consumed so far, or -1 (live, or a pipe). */
int64_t sl_capture_offset(const sl_capture *c);

typedef enum sl_capture_result {
    SL_CAPTURE_FRAME,   /* a frame was read */
    SL_CAPTURE_TIMEOUT, /* live: nothing arrived before the read timeout */
    SL_CAPTURE_END,     /* end of file */
    SL_CAPTURE_ERROR,   /* see sl_capture_error() */
} sl_capture_result;

typedef struct sl_frame {
    int dlt; /* libpcap DLT_ value */
    sl_time ts;
    const uint8_t *data;
    size_t caplen, wirelen;
} sl_frame;

sl_capture_result sl_capture_next(sl_capture *c, sl_frame *f);
const char *sl_capture_error(const sl_capture *c);
/* Fills the live counters (received / dropped by the kernel / by the interface). */
void sl_capture_read_stats(sl_capture *c, sl_capture_stats *cs);
/* Makes a blocked sl_capture_next return soon (safe from a signal handler). */
void sl_capture_break(sl_capture *c);
void sl_capture_close(sl_capture *c);

#endif
